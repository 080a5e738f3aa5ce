"""The lab role's placement rule and its calls of virter_vm."""
import pytest

from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput
from ansible_collections.virter.core.plugins.module_utils.lab.calls import calls
from ansible_collections.virter.core.plugins.module_utils.lab.placement import place

HVS = ["hv1", "hv2"]


def hosts(placed):
    return [(entry["name"], entry["hypervisor"]) for entry in placed]


def test_new_entries_go_to_the_host_with_fewest_vms_first_on_a_tie():
    entries = [{"name": "web", "count": 2}, {"name": "db"}, {"name": "cache"}, {"name": "mq"}]
    assert hosts(place(entries, HVS, {})) == [("web", "hv1"), ("db", "hv2"), ("cache", "hv2"), ("mq", "hv1")]
    # VMs already on a host count too.
    assert hosts(place([{"name": "db"}], HVS, {"hv1": [{"name": "other", "group": None}]})) == [("db", "hv2")]


def test_a_rerun_finds_each_vm_where_it_is():
    found = {"hv2": [{"name": "web-3", "group": "web"}, {"name": "db", "group": None}]}
    placed = place([{"name": "web", "count": 3}, {"name": "db"}, {"name": "new"}], HVS, found)
    assert hosts(placed) == [("web", "hv2"), ("db", "hv2"), ("new", "hv1")]


def test_a_pinned_entry_stays_where_it_says():
    assert hosts(place([{"name": "db", "hypervisor": "hv2"}, {"name": "x"}], HVS, {})) == [("db", "hv2"), ("x", "hv1")]


def test_entries_are_copies():
    entry = {"name": "db"}
    place([entry], HVS, {})
    assert entry == {"name": "db"}


@pytest.mark.parametrize("entries,found,message", [
    ([{"name": "db"}, {"name": "db"}], {}, "several entries named db"),
    ([{"name": "web", "count": 2}, {"name": "web-3"}], {}, "VM web-3 would clash with a member of group web"),
    ([{"name": "db", "hypervisor": "hv9"}], {}, "hypervisor hv9 is not one of the lab's hypervisors"),
    ([{"name": "db", "hypervisor": "hv1"}], {"hv2": [{"name": "db"}]}, "VM db is on hypervisor hv2, not on hv1"),
    ([{"name": "db"}], {"hv1": [{"name": "db"}], "hv2": [{"name": "db"}]}, "exists on several hypervisors"),
])
def test_clashes_fail_before_anything_is_made(entries, found, message):
    with pytest.raises(InvalidInput, match=message):
        place(entries, HVS, found)


def test_names_that_only_look_like_members_are_no_clash():
    """A group named like a member (its members are web-1-<id>), and a name whose number
    is not an id as members are named (web-05)."""
    entries = [{"name": "web", "count": 2}, {"name": "web-1", "count": 1}, {"name": "web-05"}]
    assert [entry["name"] for entry in place(entries, HVS, {})] == ["web", "web-1", "web-05"]


def test_no_hypervisor():
    with pytest.raises(InvalidInput, match="no hypervisor"):
        place([{"name": "db"}], [], {})


def test_calls_take_every_entry_of_a_hypervisor_in_one_call():
    placed = [{"name": "a", "hypervisor": "hv1", "group": "g"}, {"name": "b", "hypervisor": "hv2", "memory": "2G"},
              {"name": "c", "hypervisor": "hv1", "count": 2}]
    made = calls(placed)
    assert [(call["hypervisor"], call["task"], call["vms"]) for call in made] == [
        ("hv1", {}, [{"name": "a"}, {"name": "c", "count": 2}]),
        ("hv2", {}, [{"name": "b", "memory": "2G"}])]
    assert [call["indexes"] for call in made] == [[0, 2], [1]]
    assert calls([]) == []


def test_options_an_entry_cannot_carry_go_to_the_task_and_split_the_calls():
    placed = [{"name": "a", "hypervisor": "hv1", "uri": "qemu:///one", "pool": "p"},
              {"name": "b", "hypervisor": "hv1", "uri": "qemu:///two", "registry_password": "x"},
              {"name": "c", "hypervisor": "hv1", "uri": "qemu:///one"}]
    assert [(call["task"], [vm["name"] for vm in call["vms"]]) for call in calls(placed)] == [
        ({"uri": "qemu:///one"}, ["a", "c"]), ({"uri": "qemu:///two", "registry_password": "x"}, ["b"])]
    assert calls(placed)[0]["vms"][0] == {"name": "a", "pool": "p"}


def test_the_start_pass_waits_for_no_entry():
    made = calls([{"name": "a", "hypervisor": "hv1", "wait_for": "ssh", "memory": "2G"}], start=True)
    assert (made[0]["task"], made[0]["vms"]) == ({"wait_for": "none"}, [{"name": "a", "memory": "2G"}])


def test_entries_on_other_hypervisors_authorize_the_controller_key():
    placed = [{"name": "a", "hypervisor": "localhost", "ssh_public_keys": ["k1"]},
              {"name": "b", "hypervisor": "hv2", "ssh_public_keys": ["k1"]}, {"name": "c", "hypervisor": "hv2"}]
    made = calls(placed, authorized_key="ctl", local=["localhost"])
    assert [vm.get("ssh_public_keys") for call in made for vm in call["vms"]] == [["k1"], ["k1", "ctl"], ["ctl"]]
    assert placed[1]["ssh_public_keys"] == ["k1"]


def test_unplaced_entries_go_to_every_hypervisor_with_only_the_keys_asked_for():
    entries = [{"name": "a", "image": "i", "count": 2, "force": True}, {"name": "b", "memory": "1G", "uri": "u"}]
    made = calls(entries, hypervisors=HVS, keys=["name", "count", "force", "uri"])
    assert [(call["hypervisor"], call["task"], call["vms"]) for call in made] == [
        ("hv1", {}, [{"name": "a", "count": 2, "force": True}]), ("hv2", {}, [{"name": "a", "count": 2, "force": True}]),
        ("hv1", {"uri": "u"}, [{"name": "b"}]), ("hv2", {"uri": "u"}, [{"name": "b"}])]
