"""Kill -9 at random moments: ansible-playbook and the module it runs (every process group
of the run) are killed during an image import from a file, a commit of a stopped VM, a
registry pull and the creation of a group of three stopped VMs. After every kill:

- every tag's chain opens and passes `qemu-img check` (the test's layers hold their digest),
- the same task run again succeeds, and once more reports no change,
- removing what the task made and `virter_layer state: pruned grace: 0s` leave nothing
  of the test's: no domain, volume (work, tag, layer, lock) or DHCP host entry.

Each kill lands a random delay into the module's work (from its connection to libvirt to
its end), within the work's duration as measured by a first run that is not killed.
VIRTER_FAULT_SEED repeats a sequence of delays (the seed is printed), VIRTER_FAULT_TRIALS
sets the kills per operation. With pytest -s a line per trial and a summary per operation
are shown. Stopped VMs and images of a few MB:
nothing boots.
"""
import os
import random
from collections import Counter

import pytest

from helpers.ansible_run import run_tasks
from helpers.chains import broken_tags
from helpers.faults import Trial
from helpers.registry import Registry
from helpers.state import libvirt_state, remove
from helpers.store import qcow2, sha256

IMAGE = "virter.core.virter_image"
VM = "virter.core.virter_vm"
LAYER = "virter.core.virter_layer"
PREFIX = "vtest-fault"
BASE = PREFIX + "-base"
PRUNE = (LAYER, {"state": "pruned", "grace": "0s"})
VM_COMMON = {"image": BASE, "state": "stopped", "virt_type": "qemu", "disk_cache": "unsafe"}

SEED = int(os.environ.get("VIRTER_FAULT_SEED") or random.SystemRandom().randrange(1 << 32))
TRIALS = int(os.environ.get("VIRTER_FAULT_TRIALS", "5"))


def _ours(image):
    return image.startswith(PREFIX)


@pytest.fixture(scope="module")
def base_image(libvirt_conn, tmp_path_factory):
    """Image BASE for the VMs; afterwards, nothing is left that was not there before."""
    before = libvirt_state(libvirt_conn)
    path = qcow2(tmp_path_factory.mktemp("fault-base") / "base.qcow2", 0x3c, size="64M", written="2M")
    made = run_tasks([(IMAGE, {"name": BASE, "path": str(path)})])[0]
    assert not made.get("failed"), made
    yield BASE
    gone = run_tasks([(IMAGE, {"name": BASE, "state": "absent"}), PRUNE])
    assert not any(r.get("failed") for r in gone), gone
    after = libvirt_state(libvirt_conn)
    assert {key: sorted(set(after[key]) - set(before[key])) for key in after} == \
        {"domains": [], "volumes": [], "hosts": []}


def _converged(first, second, expect):
    """None when the rerun succeeded with the `expect(result)` image or VMs and the next
    run changed nothing; else what went wrong."""
    if first.get("failed"):
        return f"rerun failed: {first.get('msg')}"
    problem = expect(first)
    if problem:
        return f"rerun made the wrong thing: {problem}"
    if second.get("failed") or second.get("changed"):
        return f"second rerun did not converge: changed={second.get('changed')} msg={second.get('msg')}"
    return None


class Operation:
    """What one kind of trial runs, checks and removes."""

    def __init__(self, name, module, args, expect, removal, prepare=(), own=lambda trial, ref: {}):
        self.name = name
        self.module = module
        self.args = args  # trial -> the task's arguments
        self.expect = expect  # a rerun's result -> problem or None
        self.removal = removal  # trial -> steps that remove what the task made
        self.prepare = list(prepare)  # steps run once before the trials
        self.own = own  # (trial, reference state) -> what of the reference the removal takes


def _leftovers(conn, reference, own):
    """What is there now that the reference did not have, and what of `own` is still there."""
    state = libvirt_state(conn)
    return {key: sorted((set(state[key]) - set(reference[key])) | (set(state[key]) & set(own.get(key, ()))))
            for key in state}


def _run_trials(conn, op):
    rng = random.Random(f"{SEED}:{op.name}")
    if op.prepare:
        prepared = run_tasks(op.prepare)
        assert not any(r.get("failed") for r in prepared), prepared
    reference = libvirt_state(conn)
    broken_before = set(broken_tags(conn))
    counts = Counter(trials=0, killed=0, inside=0, broken=0, leftovers=0, unconverged=0)
    findings = []
    window = None
    for trial in range(TRIALS + 1):
        args = op.args(trial)
        delay = None if trial == 0 else rng.uniform(0, window)
        outcome = Trial(op.module, args).run(kill_after=delay)
        if trial == 0:
            assert outcome["rc"] == 0 and outcome["work_seconds"], (op.name, outcome)
            window = outcome["work_seconds"]
        else:
            counts.update(trials=1, killed=int(outcome["killed"]), inside=int(outcome["inside"]))
        notes = []

        def check_chains(when):
            broken = {tag: why for tag, why in broken_tags(conn, verify=_ours).items() if tag not in broken_before}
            if broken:
                counts["broken"] += len(broken)
                notes.append(f"broken chains {when}: {broken}")

        check_chains("after the kill")
        first, second = run_tasks([(op.module, args), (op.module, args)])
        problem = _converged(first, second, op.expect)
        if problem:
            counts["unconverged"] += 1
            notes.append(problem)
        check_chains("after the rerun")
        removed = run_tasks(op.removal(trial) + [PRUNE])
        notes += [f"removal failed: {r.get('msg')}" for r in removed if r.get("failed")]
        left = _leftovers(conn, reference, op.own(trial, reference))
        if any(left.values()):
            counts["leftovers"] += 1
            notes.append(f"left after removal and prune: {left}")
            remove(conn, left)  # the next trial starts clean
        moment = "calibration" if trial == 0 else f"kill at {delay:.3f}s of {window:.3f}s"
        line = (f"faults {op.name} #{trial} seed={SEED} {moment}: killed={outcome['killed']} "
                f"inside={outcome['inside']} {'; '.join(notes) or 'ok'}")
        print(line)
        if notes:
            findings.append(line)
    print(f"faults {op.name} summary seed={SEED}: " + " ".join(f"{k}={v}" for k, v in counts.items()))
    assert counts["inside"] >= 1, f"no kill landed inside the module (seed {SEED}): {counts}"
    assert not findings, "\n".join(findings)


def test_killed_import_from_file(libvirt_conn, base_image, tmp_path):
    source = qcow2(tmp_path / "import.qcow2", 0x5a, size="64M", written="8M")
    name = PREFIX + "-import"

    def expect(result):
        layers = result["image"]["layers"]
        return None if layers == [sha256(source)] else f"layers {layers}"

    _run_trials(libvirt_conn, Operation(
        "import", IMAGE, lambda trial: {"name": name, "path": str(source)}, expect,
        lambda trial: [(IMAGE, {"name": name, "state": "absent"})]))


def test_killed_commit(libvirt_conn, base_image):
    name = PREFIX + "-commit"
    vms = [f"{PREFIX}-cvm{trial}" for trial in range(TRIALS + 1)]
    base_top = run_tasks([(IMAGE, {"name": base_image})])[0]["image"]["top_layer"]

    def expect(result):
        layers = result["image"]["layers"]
        return None if len(layers) == 2 and layers[0] == base_top else f"layers {layers}"

    def own(trial, reference):
        vm = vms[trial]
        return {"domains": [vm], "volumes": [f"virter:work:{vm}", f"virter:work:{vm}-cidata"],
                "hosts": [host for host in reference["hosts"] if host[2] == vm]}

    _run_trials(libvirt_conn, Operation(
        "commit", IMAGE, lambda trial: {"name": name, "vm": vms[trial]}, expect,
        lambda trial: [(IMAGE, {"name": name, "state": "absent"}), (VM, {"name": vms[trial], "state": "absent"})],
        prepare=[(VM, dict(VM_COMMON, name=vm)) for vm in vms], own=own))


def test_killed_registry_pull(libvirt_conn, base_image, registry, tmp_path):
    reg = Registry(registry)
    bottom = qcow2(tmp_path / "bottom.qcow2", 0x61, size="64M", written="3M")
    top = qcow2(tmp_path / "top.qcow2", 0x62, size="64M", written="2M", backing=sha256(bottom))
    reg.image(PREFIX + "/pull", "1", [bottom, top])
    ref = f"{reg.address}/{PREFIX}/pull:1"
    layers = [sha256(bottom), sha256(top)]

    def expect(result):
        found = result["image"]["layers"]
        return None if found == layers else f"layers {found}"

    _run_trials(libvirt_conn, Operation(
        "pull", IMAGE, lambda trial: {"name": ref, "ref": ref}, expect,
        lambda trial: [(IMAGE, {"name": ref, "state": "absent"})]))


def test_killed_group_creation(libvirt_conn, base_image):
    group = dict(VM_COMMON, name=PREFIX + "-group", count=3)

    def expect(result):
        ids = [vm["id"] for vm in result["vms"]]
        names = [vm["name"] for vm in result["vms"]]
        ok = len(set(ids)) == 3 and names == [f"{group['name']}-{i}" for i in ids]
        return None if ok else f"members {names}"

    _run_trials(libvirt_conn, Operation(
        "group", VM, lambda trial: group, expect, lambda trial: [(VM, dict(group, state="absent"))]))
