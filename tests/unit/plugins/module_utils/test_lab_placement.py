"""The lab role's placement rule and its rounds."""
import pytest

from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput
from ansible_collections.virter.core.plugins.module_utils.lab.placement import place, rounds

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


def test_rounds_take_one_entry_per_hypervisor_in_order():
    placed = [{"name": "a", "hypervisor": "hv1"}, {"name": "b", "hypervisor": "hv1"},
              {"name": "c", "hypervisor": "hv2"}, {"name": "d", "hypervisor": "hv1"}]
    assert [[e["name"] for e in r] for r in rounds(placed)] == [["a", "c"], ["b"], ["d"]]
    assert rounds([]) == []
