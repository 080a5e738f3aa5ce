"""A whole lab in one virter_vm call (`vms`): different entries (a VM with a fixed id, a
group, a stopped VM with a disk of its own) converged in one run, booted under emulation
and waited for together; a bad entry changes nothing; the lab goes in one call."""
from helpers.ansible_run import four_step, run_task
from helpers.state import libvirt_state

VM = "virter.core.virter_vm"
TASK = {"image": "vtest-debian", "virt_type": "qemu", "disk_cache": "unsafe", "memory": "512M"}
ENTRIES = [
    {"name": "vtest-lc-one", "id": 61, "memory": "768M"},
    {"name": "vtest-lc-grp", "count": 2},
    {"name": "vtest-lc-off", "state": "stopped", "disks": [{"name": "data", "size": "64M"}]},
]


def _gone():
    return run_task(VM, dict(TASK, state="absent", vms=[{"name": "vtest-lc-one"}, {"name": "vtest-lc-grp", "count": 0},
                                                        {"name": "vtest-lc-off"}]))


def test_a_lab_in_one_call(debian_image, libvirt_conn):
    before = libvirt_state(libvirt_conn)
    try:
        results = four_step(VM, dict(TASK, vms=ENTRIES))
        predicted, made = results[0]["vms"], results[1]["vms"]
        assert [vm["name"] for vm in predicted] == ["vtest-lc-one", None, None, "vtest-lc-off"], predicted
        names = [vm["name"] for vm in made]
        assert names[0] == "vtest-lc-one" and names[3] == "vtest-lc-off", names
        assert made[0]["id"] == 61 and made[0]["ip"].endswith(".61"), made[0]
        assert [vm["group"] for vm in made] == [None, "vtest-lc-grp", "vtest-lc-grp", None], made
        assert [vm["state"] for vm in made] == ["running", "running", "running", "stopped"], made
        ids = [vm["id"] for vm in made]
        assert len(set(ids)) == 4 and ids[1] < ids[2], ids
        assert results[1]["known_hosts"] and results[3]["vms"] == made, results[3]
        assert set(results[1]["diff"]["after"]["vms"]) == set(names), results[1]["diff"]
        memory = dict((vm, libvirt_conn.lookupByName(vm).maxMemory()) for vm in names)
        assert memory == {names[0]: 768 * 1024, names[1]: 512 * 1024, names[2]: 512 * 1024, names[3]: 512 * 1024}
        # A bad entry fails the whole call, naming it, and nothing changes.
        state = libvirt_state(libvirt_conn)
        bad = ENTRIES + [{"name": "vtest-lc-bad", "image": "vtest-no-such-image"}]
        for check in (True, False):
            refused = run_task(VM, dict(TASK, vms=bad), check=check)
            assert refused.get("failed") and refused["msg"].startswith("vms[3] (vtest-lc-bad): image"), refused
            assert libvirt_state(libvirt_conn) == state
        clash = run_task(VM, dict(TASK, vms=ENTRIES + [{"name": "vtest-lc-two", "id": 61}]))
        assert clash.get("failed") and "both ask for id 61" in clash["msg"], clash
        named = run_task(VM, dict(TASK, name="vtest-lc-one", vms=ENTRIES))
        assert named.get("failed") and "name and vms exclude each other" in named["msg"], named
        assert libvirt_state(libvirt_conn) == state
        # One entry removed by its own state, the others kept as they are.
        one = run_task(VM, dict(TASK, vms=[dict(ENTRIES[0], state="absent")] + ENTRIES[1:]))
        assert one["changed"] and [vm["name"] for vm in one["vms"]] == names[1:], one
        assert "vtest-lc-one" not in [dom.name() for dom in libvirt_conn.listAllDomains(0)]
        gone = _gone()
        assert gone["changed"] and gone["vms"] == [], gone
        assert _gone()["changed"] is False
    finally:
        _gone()
    assert libvirt_state(libvirt_conn) == before
