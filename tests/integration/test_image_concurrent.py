"""Runs that make the same image at the same time, each its own ansible-playbook with its
own TMPDIR (as two controllers would be): imports of one file, pulls of one reference, a
commit racing an import. One does the work, the other waits and finds it done: both
succeed, the image is intact and nothing of the work is left."""
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lxml import etree

from ansible_collections.virter.core.plugins.module_utils.locks import owner as lock_owner
from ansible_collections.virter.core.plugins.module_utils.locks.volume_lock import VolumeLock
from ansible_collections.virter.core.plugins.module_utils.image.lock import lock_name
from ansible_collections.virter.core.plugins.module_utils.store.store import Store
from helpers.ansible_run import run_task
from helpers.registry import Registry
from helpers.state import libvirt_state
from helpers.store import qcow2, sha256

IMAGE = "virter.core.virter_image"
VM = "virter.core.virter_vm"
POOL = "vtest-concurrent"
TRIALS = 4


def race(jobs, tmp_path):
    """Run each (module, args) in its own playbook, all at once -> their results."""
    envs = []
    for index in range(len(jobs)):
        tmpdir = tmp_path / ("controller%d" % index)
        tmpdir.mkdir(exist_ok=True)
        envs.append({"TMPDIR": str(tmpdir)})
    with ThreadPoolExecutor(len(jobs)) as runner:
        return list(runner.map(lambda job: run_task(job[0][0], job[0][1], env=job[1]), zip(jobs, envs)))


def assert_one_made_it(results, top):
    for result in results:
        assert not result.get("failed"), results
        assert result["image"]["top_layer"] == top, results
    assert [r["changed"] for r in results].count(True) == 1, results


def assert_intact(pool_dir, image, names):
    """qemu-img check passes on the tag and every layer of its chain, and no work or
    lock volume of the store is left."""
    for volume in ["virter:tag:" + image["name"]] + ["virter:layer:" + d for d in image["layers"]]:
        subprocess.run(["qemu-img", "check", "-q", str(pool_dir / volume)], check=True)
    assert not [n for n in names if n.startswith(("virter:work:import:", "virter:work:save:", "virter-core-"))], names


def test_a_lock_on_a_dir_pool_names_its_holder_and_beats(pool, libvirt_conn):
    """What the test driver of the unit tests cannot do: uploads and resizes."""
    holder = VolumeLock(Store(libvirt_conn, POOL), lock_name("beat"), beat=0.2)
    holder.acquire()
    try:
        waiter = VolumeLock(Store(libvirt_conn, POOL), lock_name("beat"))
        first = waiter._identity()
        assert waiter._content().startswith(lock_owner.record())
        time.sleep(1.1)
        assert waiter._identity()[1] >= first[1] + 3  # grown at every beat
    finally:
        holder.release()
    assert pool.names() == []


def test_two_imports_of_one_file(pool, tmp_path):
    source = qcow2(tmp_path / "race.qcow2", 0x31, size="64M", written="8M")
    args = {"pool": POOL, "name": "race", "path": str(source)}
    for _trial in range(TRIALS):
        results = race([(IMAGE, args), (IMAGE, args)], tmp_path)
        assert_one_made_it(results, sha256(source))
        assert_intact(pool.dir, results[0]["image"], pool.names())
        pool.empty()


def test_two_pulls_of_one_reference(pool, registry, tmp_path):
    base = qcow2(tmp_path / "base.qcow2", 0x41, size="64M", written="6M")
    kid = qcow2(tmp_path / "kid.qcow2", 0x42, size="64M", backing=sha256(base), written="4M")
    Registry(registry).image("concurrent/race", "1", [base, kid])
    args = {"pool": POOL, "name": "pulled", "ref": "%s/concurrent/race:1" % registry["address"],
            "registry_tls_verify": False}
    for _trial in range(TRIALS):
        results = race([(IMAGE, args), (IMAGE, args)], tmp_path)
        assert_one_made_it(results, sha256(kid))
        assert results[0]["image"]["layers"] == [sha256(base), sha256(kid)]
        assert_intact(pool.dir, results[0]["image"], pool.names())
        pool.empty()


def test_a_commit_racing_an_import(tiny_image, libvirt_conn, tmp_path):
    """Whichever comes first makes the image; the other finds it there (a commit that
    finds the image leaves its VM alone, as without force it always does)."""
    before = libvirt_state(libvirt_conn)
    source = qcow2(tmp_path / "other.qcow2", 0x51, size="64M", written="8M")
    name, vm = "vtest-race-commit", "vtest-race-build"
    made = run_task(VM, {"name": vm, "image": tiny_image, "state": "stopped", "virt_type": "qemu"})
    assert made["changed"] and not made.get("failed"), made
    try:
        results = race([(IMAGE, {"name": name, "vm": vm}), (IMAGE, {"name": name, "path": str(source)})],
                       tmp_path)
        for result in results:
            assert not result.get("failed"), results
        assert [r["changed"] for r in results].count(True) == 1, results
        assert results[0]["image"] == results[1]["image"], results
        pool_dir = Path(etree.fromstring(libvirt_conn.storagePoolLookupByName("default").XMLDesc(0))
                        .findtext("target/path"))
        assert_intact(pool_dir, results[0]["image"], libvirt_state(libvirt_conn)["volumes"])
    finally:
        run_task(VM, {"name": vm, "state": "absent"})
        run_task(IMAGE, {"name": name, "state": "absent"})
    assert libvirt_state(libvirt_conn) == before
