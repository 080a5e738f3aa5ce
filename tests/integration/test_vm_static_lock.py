"""static_dhcp claims are serialised on the hypervisor: two runs that share no machine
state (each its own TMPDIR, as two controllers would) never take the same pre-made
entry. Stopped VMs: the claim and definition race is the point, not a boot."""
from concurrent.futures import ThreadPoolExecutor

from helpers.ansible_run import run_task
from helpers.state import libvirt_state

VM = "virter.core.virter_vm"
NETWORK = "virter.core.virter_network"
LOCK_NET = "vtest-locknet"
FIRST_ID, PER_RUN = 2, 4


def test_runs_of_two_controllers_claim_distinct_premade_entries(tiny_image, libvirt_conn, tmp_path):
    before = libvirt_state(libvirt_conn)
    network = {"name": LOCK_NET, "cidr": "192.168.153.1/24",
               "dhcp_ids": {"first": FIRST_ID, "count": 2 * PER_RUN}}
    groups = [{"name": name, "image": tiny_image, "count": PER_RUN, "state": "stopped", "virt_type": "qemu",
               "network": LOCK_NET, "static_dhcp": True} for name in ("vtest-locka", "vtest-lockb")]
    envs = []
    for index in range(len(groups)):
        tmpdir = tmp_path / ("controller%d" % index)
        tmpdir.mkdir()
        envs.append({"TMPDIR": str(tmpdir)})  # a lock file there could not serialise them
    try:
        made = run_task(NETWORK, network)
        assert made["changed"] and not made.get("failed"), made
        with ThreadPoolExecutor(len(groups)) as pool:
            results = list(pool.map(lambda job: run_task(VM, job[0], env=job[1]), zip(groups, envs)))
        for result in results:
            assert result["changed"] and not result.get("failed"), result
            assert len(result["vms"]) == PER_RUN, result
        ids = sorted(vm["id"] for result in results for vm in result["vms"])
        assert ids == list(range(FIRST_ID, FIRST_ID + 2 * PER_RUN)), results
        macs = [vm["mac"] for result in results for vm in result["vms"]]
        assert len(set(macs)) == 2 * PER_RUN, results
        volumes = libvirt_state(libvirt_conn)["volumes"]
        assert not [vol for vol in volumes if vol.startswith("virter-core-")], volumes  # lock released
    finally:
        for group in groups:
            run_task(VM, dict(group, state="absent"))
        run_task(NETWORK, {"name": LOCK_NET, "state": "absent"})
    assert libvirt_state(libvirt_conn) == before
