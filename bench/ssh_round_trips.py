"""Benchmark of provisioning round trips, not a test: what the connection settings of the
hosts that the lab role, the inventory plugin and the demo make (`ansible_pipelining`, beside
the persistent control connection that Ansible's default `ssh_args` already opens) save on VMs
under software emulation, where every process the guest spawns for a task costs.

Runs demo/demo.yml once (2 VMs from the guest image, provisioned), then ROUNDS rounds of each
setting, the settings alternating order. A round runs the demo again (its VMs are there: the lab
task changes nothing, the provisioning play runs its six tasks again on both VMs, most of them
without change) and then a play of NOOPS no-op tasks (`ansible.builtin.ping`) on its VMs, in one
`ansible-playbook`. Times come from the callback plugin of bench/_timing.py.

- "pipelining": as the demo's hosts are (`ansible_pipelining: true`; ControlPersist);
- "no pipelining": `-e ansible_pipelining=false` (ControlPersist still on);
- "neither": no pipelining and `ANSIBLE_SSH_ARGS=-o ControlMaster=no` (a new SSH connection
  for every round trip).

Printed per setting: the median no-op task (both VMs at once) and the median provisioning play
(its first task's start to its last task's end), and their ratios against "neither". The demo
is removed at the end, also on failure: do not run this while a demo of yours is up. Run inside the sandbox, with the collection built
(`make collection`):

    flock -o /tmp/virter-vmtest.lock tools/sandbox exec .venv/bin/python bench/ssh_round_trips.py [--rounds 3]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _timing import callback_env

ROOT = Path(__file__).resolve().parent.parent
NOOPS = 5
PROVISION = ("A user for the lab", "Service answers")
SETTINGS = {
    "pipelining": ({}, []),
    "no pipelining": ({}, ["-e", "ansible_pipelining=false"]),
    "neither": ({"ANSIBLE_SSH_ARGS": "-o ControlMaster=no"}, ["-e", "ansible_pipelining=false"]),
}


def playbook(work):
    """The demo, then the no-op play on its VMs. The demo keeps its known_hosts file in
    `../build` of the playbook's directory."""
    (work / "play").mkdir()
    (work / "build").mkdir()
    noops = "".join("    - name: noop %d\n      ansible.builtin.ping:\n" % i for i in range(NOOPS))
    path = work / "play" / "bench.yml"
    path.write_text("- ansible.builtin.import_playbook: %s\n\n- name: No-op tasks\n  hosts: demo_lab\n"
                    "  gather_facts: false\n  tasks:\n%s" % (ROOT / "demo" / "demo.yml", noops))
    return path


def run(work, path, env, args, times=None):
    full = dict(os.environ, **env)
    if times is not None:
        full.update(callback_env(work, times))
    subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), str(path)] + args,
                   env=full, check=True, stdout=subprocess.DEVNULL)


def measure(work, path, env, args):
    times = work / "times.json"
    run(work, path, env, args, times)
    tasks = json.loads(times.read_text())
    noop = [t["end"] - t["start"] for t in tasks if t["name"].startswith("noop ")]
    first = [t for t in tasks if t["name"] == PROVISION[0]][0]
    last = [t for t in tasks if t["name"] == PROVISION[1]][0]
    return statistics.median(noop), last["end"] - first["start"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    opts = parser.parse_args()
    image = subprocess.run([str(ROOT / "tools" / "build-guest-image")], check=True, capture_output=True,
                           text=True).stdout.strip()
    env = {"ANSIBLE_COLLECTIONS_PATH": str(ROOT / "build" / "collections"),
           "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false", "VIRTER_DEMO_IMAGE": image,
           "VIRTER_DEMO_VIRT_TYPE": "qemu"}
    results = dict((name, []) for name in SETTINGS)
    with tempfile.TemporaryDirectory(prefix="vbench-ssh-") as tmp:
        work = Path(tmp)
        path = playbook(work)
        try:
            run(work, path, env, [])
            for i in range(opts.rounds):
                order = list(SETTINGS) if i % 2 == 0 else list(reversed(SETTINGS))
                for name in order:
                    extra_env, args = SETTINGS[name]
                    results[name].append(measure(work, path, dict(env, **extra_env), args))
        finally:
            run(work, path, env, ["-e", "virter_demo_state=absent"])
    base_noop, base_prov = (statistics.median(r[k] for r in results["neither"]) for k in (0, 1))
    print("%-14s %12s %8s %16s %8s" % ("setting", "no-op task", "ratio", "provisioning", "ratio"))
    for name, runs in results.items():
        noop, prov = (statistics.median(r[k] for r in runs) for k in (0, 1))
        print("%-14s %11.2fs %7.2fx %15.2fs %7.2fx" % (name, noop, noop / base_noop, prov, prov / base_prov))
    print("(medians of %d rounds; 2 VMs under software emulation; ratios against 'neither')" % opts.rounds)


if __name__ == "__main__":
    main()
