"""A lab in one call (`vms`) on libvirt's in-process test driver (test:///default): the
entries are checked before anything changes, ids are claimed in one pass, and the result
is one flat list. The seed upload and the NVRAM flag are stubbed as in test_vm_service."""
import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.virter.core.plugins.module_utils._errors import Conflict, InvalidInput, NotFound
from ansible_collections.virter.core.plugins.module_utils._ansible_module import COMMON_ARGUMENT_SPEC, REGISTRY_ARGUMENT_SPEC
from ansible_collections.virter.core.plugins.module_utils.vm import create, listing, options, service

from test_vm_service import conn, domains, hosts, params, work_volumes  # noqa: F401  # pylint: disable=unused-import  # conn: the fixture

LAB = [{"name": "db", "id": 5}, {"name": "web", "count": 2}]


def lab(conn, tmp_path, entries, check_mode=False, **kw):
    return service.run(conn, params(tmp_path, name=None, vms=entries, **kw), check_mode)


def state(conn):
    return (work_volumes(conn), hosts(conn), domains(conn))


def test_two_entries_are_made_in_one_run(conn, tmp_path):
    result = lab(conn, tmp_path, LAB)
    assert result["changed"] is True
    assert [(vm["name"], vm["id"], vm["group"]) for vm in result["vms"]] == [
        ("db", 5, None), ("web-2", 2, "web"), ("web-3", 3, "web")]
    assert domains(conn) == ["db", "web-2", "web-3"]
    assert hosts(conn) == [("db", "192.168.122.5"), ("web-2", "192.168.122.2"), ("web-3", "192.168.122.3")]
    assert len(result["known_hosts"]) == 6  # RSA and ed25519 of each
    assert set(result["diff"]["after"]["vms"]) == {"db", "web-2", "web-3"}


def test_check_mode_predicts_and_a_rerun_changes_nothing(conn, tmp_path):
    predicted = lab(conn, tmp_path, LAB, check_mode=True)
    assert predicted["changed"] is True and state(conn) == ([], [], [])
    assert [vm["name"] for vm in predicted["vms"]] == ["db", None, None]
    assert sorted(predicted["diff"]["after"]["vms"]) == ["(new 1)", "(new 2)", "db"]
    assert lab(conn, tmp_path, LAB)["changed"] is True
    made = state(conn)
    for check_mode in (True, False):
        again = lab(conn, tmp_path, LAB, check_mode=check_mode)
        assert again["changed"] is False and state(conn) == made
        assert [vm["name"] for vm in again["vms"]] == ["db", "web-2", "web-3"]


def test_fixed_ids_are_claimed_before_free_ones(conn, tmp_path):
    result = lab(conn, tmp_path, [{"name": "a"}, {"name": "b", "id": 2}])
    assert [(vm["name"], vm["id"]) for vm in result["vms"]] == [("a", 3), ("b", 2)]


def test_an_entry_overrides_the_task_only_for_what_it_sets(conn, tmp_path):
    lab(conn, tmp_path, [{"name": "a", "memory": "256M"}, {"name": "b"}], memory="128M")
    found = listing.domains(conn)
    assert (found["a"][1]["memory"], found["b"][1]["memory"]) == (256 << 20, 128 << 20)
    # Left out now, memory is not compared: no change.
    assert lab(conn, tmp_path, [{"name": "a"}, {"name": "b"}])["changed"] is False
    changed = lab(conn, tmp_path, [{"name": "a"}, {"name": "b", "memory": "256M"}])
    assert changed["changed"] is True and list(changed["diff"]["after"]["vms"]["b"]) == ["memory", "state"]


@pytest.mark.parametrize("entries,error,message", [
    ([{"name": "db"}, {"name": "web", "vcpus": 0}], InvalidInput, r"^vms\[1\] \(web\): vcpus must be at least 1$"),
    ([{"name": "db"}, {"name": "web", "memory": "100T"}], InvalidInput,
     r"^vms\[1\] \(web\): memory of VM web \(104857600 MiB\) is more than the hypervisor has"),
    ([{"name": "db"}, {"name": "web", "image": "nope"}], NotFound, r"^vms\[1\] \(web\): image nope is not in"),
    ([{"name": "db"}, {"name": "web", "nics": [{"type": "network", "source": "nowhere"}]}], NotFound,
     r"^vms\[1\] \(web\): network nowhere of an extra NIC does not exist$"),
])
def test_a_bad_entry_fails_the_call_before_anything_changes(conn, tmp_path, entries, error, message):
    for check_mode in (True, False):
        with pytest.raises(error, match=message):
            lab(conn, tmp_path, entries, check_mode=check_mode)
        assert state(conn) == ([], [], [])


def test_a_bad_entry_fails_before_other_entries_are_removed(conn, tmp_path):
    lab(conn, tmp_path, LAB)
    made = state(conn)
    with pytest.raises(InvalidInput, match=r"vms\[1\] \(new\)"):
        lab(conn, tmp_path, [{"name": "db", "state": "absent"}, {"name": "new", "memory": "100T"},
                             {"name": "web", "count": 0}])
    assert state(conn) == made


@pytest.mark.parametrize("entries,message", [
    ([{"name": "a", "id": 5}, {"name": "b", "id": 5}],
     r"^vms\[0\] \(a\) and vms\[1\] \(b\) both ask for id 5 on network default: give each entry ids of its own$"),
    ([{"name": "g", "count": 3, "id": 4}, {"name": "b", "id": 6}], r"both ask for id 6 on network default"),
    ([{"name": "a"}, {"name": "a", "memory": "1G"}], r"^vms\[0\] \(a\) and vms\[1\] \(a\) have the same name"),
    ([{"name": "web", "count": 2}, {"name": "web-3"}],
     r"^vms\[1\] \(web-3\) is named like a member of group web \(vms\[0\] \(web\)\): choose another name$"),
])
def test_entries_cannot_clash(conn, tmp_path, entries, message):
    with pytest.raises((Conflict, InvalidInput), match=message):
        lab(conn, tmp_path, entries)
    assert state(conn) == ([], [], [])


def test_a_fixed_id_an_existing_vm_has_is_refused_naming_the_entry(conn, tmp_path):
    lab(conn, tmp_path, LAB)
    with pytest.raises(Conflict, match=r"^vms\[0\] \(other\): id 5 is taken on network default$"):
        lab(conn, tmp_path, [{"name": "other", "id": 5}])


def test_removal_at_the_task_level_and_per_entry(conn, tmp_path):
    lab(conn, tmp_path, LAB + [{"name": "cache"}])
    one = lab(conn, tmp_path, [{"name": "cache", "state": "absent"}] + LAB)
    assert one["changed"] is True and domains(conn) == ["db", "web-2", "web-3"]
    assert [vm["name"] for vm in one["vms"]] == ["db", "web-2", "web-3"]
    assert set(one["diff"]["before"]["vms"]) == {"cache", "db", "web-2", "web-3"}
    predicted = lab(conn, tmp_path, LAB, check_mode=True, state="absent")
    assert predicted["changed"] is True and domains(conn) == ["db", "web-2", "web-3"]
    gone = lab(conn, tmp_path, LAB, state="absent")
    assert gone["changed"] is True and gone["vms"] == [] and state(conn) == ([], [], [])
    assert lab(conn, tmp_path, LAB, state="absent")["changed"] is False


def test_running_entries_are_started_in_one_pass(conn, tmp_path):
    result = lab(conn, tmp_path, [{"name": "a"}, {"name": "b", "state": "stopped"}], state="running")
    assert [(vm["name"], vm["state"]) for vm in result["vms"]] == [("a", "running"), ("b", "stopped")]
    assert conn.lookupByName("a").isActive() and not conn.lookupByName("b").isActive()


def test_a_name_with_vms_is_refused(conn, tmp_path):
    with pytest.raises(InvalidInput, match="^name and vms exclude each other"):
        service.run(conn, params(tmp_path, name="web", vms=LAB), False)


def test_an_empty_lab_changes_nothing(conn, tmp_path):
    assert lab(conn, tmp_path, [], state="running") == {
        "changed": False, "reboot_needed": False, "vms": [], "known_hosts": [],
        "diff": {"before": {"vms": {}}, "after": {"vms": {}}}}


def test_entries_as_the_argument_spec_gives_them(conn, tmp_path):
    """Every option an entry leaves out comes as None; the task's options fill them."""
    spec = dict(COMMON_ARGUMENT_SPEC, **dict(options.argument_spec(), **REGISTRY_ARGUMENT_SPEC))
    checked = ArgumentSpecValidator(spec).validate({
        "pool": "default-pool", "state": "stopped", "image": "img", "wait_for": "none", "memory": "128M",
        "ssh_private_key_file": str(tmp_path / "id"), "vms": [{"name": "a", "state": "running"}, {"name": "b"}]})
    assert checked.error_messages == [] and checked.validated_parameters["vms"][1]["state"] is None
    result = service.run(conn, checked.validated_parameters, False)
    assert [(vm["name"], vm["state"]) for vm in result["vms"]] == [("a", "running"), ("b", "stopped")]
    assert listing.domains(conn)["b"][1]["memory"] == 128 << 20


@pytest.fixture
def small_net(conn):
    """Network `small`: ids 2 .. 6, with pre-made (nameless) host entries for ids 2 .. 4."""
    hosts_xml = "".join("<host mac='52:54:00:00:00:%02x' ip='10.9.9.%d'/>" % (i, i) for i in (2, 3, 4))
    net = conn.networkDefineXML(
        "<network><name>small</name><bridge name='vtbr-small'/><ip address='10.9.9.1' netmask='255.255.255.248'>"
        "<dhcp><range start='10.9.9.2' end='10.9.9.6'/>%s</dhcp></ip></network>" % hosts_xml)
    net.create()
    yield "small"
    net.destroy()
    net.undefine()


def test_entries_on_one_network_fit_its_free_ids_together(conn, tmp_path, small_net):
    # Ids 2 .. 4 have (nameless) entries: 5 and 6 are free, enough for each entry alone.
    entries = [{"name": "a", "count": 2}, {"name": "b", "count": 2}]
    with pytest.raises(Conflict, match=r"^network small \(10\.9\.9\.1/29\) has 2 free ids, 4 VMs need one$"):
        lab(conn, tmp_path, entries, network=small_net)
    assert domains(conn) == []
    made = lab(conn, tmp_path, [{"name": "a"}, {"name": "b"}], network=small_net)
    assert [vm["ip"] for vm in made["vms"]] == ["10.9.9.5", "10.9.9.6"]


def test_static_dhcp_entries_take_distinct_premade_entries(conn, tmp_path, small_net):
    entries = [{"name": "a"}, {"name": "b", "count": 3}]
    with pytest.raises(Conflict, match=r"^network small has 3 free DHCP host entries, 4 VMs need one"):
        lab(conn, tmp_path, entries, network=small_net, static_dhcp=True)
    assert domains(conn) == []
    # The fixed id counts: a, b and c take all three entries, c the one it asks for.
    entries = [{"name": "a"}, {"name": "b", "count": 1}, {"name": "c", "id": 2}]
    with pytest.raises(Conflict, match=r"^network small has 2 free DHCP host entries, 3 VMs need one"):
        lab(conn, tmp_path, entries + [{"name": "d"}], network=small_net, static_dhcp=True)
    made = lab(conn, tmp_path, entries, network=small_net, static_dhcp=True)
    assert [(vm["name"], vm["id"]) for vm in made["vms"]] == [("a", 3), ("b-4", 4), ("c", 2)]
    assert lab(conn, tmp_path, entries, network=small_net, static_dhcp=True)["changed"] is False


def test_drift_only_a_new_vm_can_take_fails_before_anything_changes(conn, tmp_path):
    lab(conn, tmp_path, [{"name": "db", "id": 5}])
    made = state(conn)
    moved = [{"name": "db", "id": 6}, {"name": "web", "count": 2}]
    with pytest.raises(Conflict, match=r"^vms\[0\] \(db\): VM db differs from the task in id, which only a new VM"):
        lab(conn, tmp_path, moved)
    assert state(conn) == made
    result = lab(conn, tmp_path, [dict(moved[0], recreate=True), moved[1]])
    assert [(vm["name"], vm["id"]) for vm in result["vms"]] == [("db", 6), ("web-2", 2), ("web-3", 3)]


def test_static_dhcp_entries_on_one_network_hold_its_lock_once(conn, tmp_path, small_net, monkeypatch):
    held = []
    real = create.volume_lock.held

    def counted(*args, **kw):
        held.append(args[2])
        return real(*args, **kw)
    monkeypatch.setattr(create.volume_lock, "held", counted)
    made = lab(conn, tmp_path, [{"name": "a"}, {"name": "b"}, {"name": "c"}], network=small_net, static_dhcp=True)
    assert sorted(vm["id"] for vm in made["vms"]) == [2, 3, 4]
    assert held == ["virter-core-lock:static-dhcp:small"]
