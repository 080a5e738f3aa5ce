"""Two playbooks creating VMs with automatic ids at the same time never collide."""
from concurrent.futures import ThreadPoolExecutor

from helpers.ansible_run import run_task
from helpers.state import libvirt_state

VM = "virter.core.virter_vm"


def test_concurrent_playbooks_get_distinct_ids(tiny_image, libvirt_conn):
    before = libvirt_state(libvirt_conn)
    groups = ["vtest-para", "vtest-parb"]
    # Stopped VMs: the reservation and definition race is the point, not a boot.
    args = [{"name": g, "image": tiny_image, "count": 3, "state": "stopped", "virt_type": "qemu"} for g in groups]
    try:
        with ThreadPoolExecutor(len(groups)) as pool:
            results = list(pool.map(lambda a: run_task(VM, a), args))
        for result in results:
            assert result["changed"] and not result.get("failed"), result
        ids = [vm["id"] for result in results for vm in result["vms"]]
        assert len(ids) == 6 and len(set(ids)) == 6, ids
        macs = [vm["mac"] for result in results for vm in result["vms"]]
        assert len(set(macs)) == 6
    finally:
        for a in args:
            run_task(VM, dict(a, state="absent"))
    assert libvirt_state(libvirt_conn) == before
