import ipaddress

import pytest

from ansible_collections.virter.core.plugins.module_utils.network import plan as p
from ansible_collections.virter.core.plugins.module_utils._errors import Conflict, InvalidInput


def params(**kw):
    base = {"name": "lab", "cidr": "192.168.250.1/24", "forward_mode": "nat", "dhcp": True,
            "dhcp_ids": None, "domain": None, "bridge": None, "dnsmasq_options": []}
    base.update(kw)
    return base


def host(vm_id, name=None, net="192.168.250"):
    return {"mac": "52:54:00:00:00:%02x" % vm_id, "ip": "%s.%d" % (net, vm_id), "name": name}


def model(**kw):
    base = {"name": "lab", "bridge": "virbr1", "forward_mode": "nat", "domain": "old",
            "cidr": "192.168.250.1/24", "ip_form": "netmask", "ranges": [("192.168.250.2", "192.168.250.254")],
            "hosts": [], "dnsmasq_options": []}
    base.update(kw)
    return base


def test_desired_for_a_new_network():
    assert p.desired_network(params(), None) == {
        "name": "lab", "bridge": None, "forward_mode": "nat", "domain": None,
        "cidr": "192.168.250.1/24", "ip_form": "netmask", "ranges": [("192.168.250.2", "192.168.250.254")],
        "dnsmasq_options": [],
    }


def test_unset_options_keep_what_exists():
    desired = p.desired_network(params(cidr=None, dhcp=False), model())
    assert desired["cidr"] == "192.168.250.1/24"
    assert desired["bridge"] == "virbr1" and desired["domain"] == "old"
    assert desired["ranges"] == []
    assert p.desired_network(params(domain=""), model())["domain"] is None


@pytest.mark.parametrize("kw, actual, match", [
    ({"name": "bad name"}, None, "invalid network name"),
    ({"cidr": None}, None, "needs an IPv4 address"),
    ({"cidr": "fd00::1/64"}, None, "IPv4"),
    ({"cidr": "192.168.250.1"}, None, "prefix length"),
    ({"forward_mode": "bridge"}, None, "invalid forward_mode"),
    ({"bridge": "br 0"}, None, "invalid bridge name"),
    ({"bridge": "b" * 16}, None, "longer than 15"),
    ({"cidr": None}, model(cidr=None), "needs an IPv4 address"),
    ({"domain": "lab test"}, None, "invalid domain 'lab test'"),
    ({"domain": "-lab"}, model(), "invalid domain"),
    ({"dnsmasq_options": ["log-dhcp\naddress=/x/1.2.3.4"]}, None, "line break"),
])
def test_desired_rejects(kw, actual, match):
    with pytest.raises(InvalidInput, match=match):
        p.desired_network(params(**kw), actual)


def test_a_domain_defined_elsewhere_is_kept_as_it_is():
    assert p.desired_network(params(), model(domain="not a dns name"))["domain"] == "not a dns name"


def footprint(name, cidr, bridge=None):
    return (name, bridge, [ipaddress.ip_interface(cidr)])


OTHERS = [footprint("lab", "192.168.210.1/24", "virbr1"), footprint("v6", "fd00::1/64", "virbr2"),
          footprint("wide", "10.0.0.1/8", "virbr3")]


@pytest.mark.parametrize("cidr, other", [
    ("192.168.210.129/25", "192.168.210.0/24 of network lab"),
    ("192.168.210.1/24", "192.168.210.0/24 of network lab"),
    ("192.168.0.1/16", "192.168.210.0/24 of network lab"),
    ("10.20.0.1/24", "10.0.0.0/8 of network wide"),
])
def test_a_subnet_overlapping_another_network_is_refused(cidr, other):
    desired = p.desired_network(params(name="new", cidr=cidr), None)
    with pytest.raises(Conflict, match="cidr %s of network new overlaps the subnet %s: choose" % (cidr, other)):
        p.check_neighbours(desired, [], OTHERS, [])


def test_own_subnet_and_subnets_beside_others_are_fine():
    p.check_neighbours(p.desired_network(params(name="new", cidr="192.168.211.1/24"), None), [], OTHERS, [])
    # an existing network that overlaps already is not refused for what it has
    own = model(name="old", cidr="192.168.210.129/25")
    p.check_neighbours(p.desired_network(params(name="old", cidr="192.168.210.130/25"), own), [own], OTHERS, [])
    # a pending subnet (persistent) or the running one (live) are its own too
    live = model(name="old", cidr="192.168.210.1/25")
    p.check_neighbours(p.desired_network(params(name="old", cidr="192.168.210.1/25"), own), [own, live], OTHERS, [])
    # but moving onto another network's subnet is refused
    with pytest.raises(Conflict, match="network lab"):
        p.check_neighbours(p.desired_network(params(name="old", cidr="192.168.210.1/24"), own), [own], OTHERS, [])


def test_a_bridge_of_another_network_or_an_interface_is_refused():
    def check(bridge, own=(), interfaces=("eth0", "lo")):
        desired = p.desired_network(params(name="new", cidr="192.168.211.1/24", bridge=bridge), None)
        p.check_neighbours(desired, list(own), OTHERS, interfaces)

    with pytest.raises(Conflict, match="bridge virbr2 is the bridge of network v6 already: choose another bridge "
                                       "name, or leave bridge unset"):
        check("virbr2")
    with pytest.raises(Conflict, match="bridge eth0 cannot be made: the hypervisor has an interface of that name"):
        check("eth0")
    check("virbr9")
    check("eth0", interfaces=None)  # libvirt cannot list interfaces: its own refusal is explained later
    check("virbr1", own=[model(bridge="virbr1")])  # its own bridge, even while another claims it too
    check("eth0", own=[model(bridge="old"), model(bridge="eth0")])


def test_new_bridge():
    assert p.new_bridge(model(bridge=None), []) is None
    assert p.new_bridge(model(bridge="b1"), []) == "b1"
    assert p.new_bridge(model(bridge="b1"), [model(bridge="b0"), model(bridge="b1")]) is None


def test_wanted_hosts():
    assert p.wanted_hosts(None, "192.168.250.1/24") is None
    assert p.wanted_hosts({"first": 2, "count": 2}, "192.168.250.1/24") == [host(2), host(3)]
    with pytest.raises(InvalidInput, match="do not fit"):
        p.wanted_hosts({"first": 250, "count": 10}, "192.168.250.1/24")


def test_converge_hosts_adds_and_removes_only_unnamed_unused():
    current = [host(2), host(9), host(10, name="vm10"), host(11)]
    wanted = [host(2), host(3)]
    assert p.removal_candidates(current, wanted) == [host(9), host(11)]
    # 52:54:00:00:00:0b (id 11) is used by a domain's interface: it stays
    result = p.converge_hosts(current, wanted, {"52:54:00:00:00:0b"})
    assert result == [host(2), host(10, name="vm10"), host(11), host(3)]


def test_converge_hosts_unmanaged():
    current = [host(9)]
    assert p.converge_hosts(current, None, set()) == current
    assert p.removal_candidates(current, None) == []


def test_named_entry_with_the_same_address_satisfies_a_wanted_one():
    assert p.converge_hosts([host(3, name="vm")], [host(3)], set()) == [host(3, name="vm")]


def test_converge_hosts_conflict():
    clash = {"mac": "52:54:00:00:00:03", "ip": "192.168.250.99", "name": "other"}
    with pytest.raises(Conflict, match="clashes with the existing entry"):
        p.converge_hosts([clash], [host(3)], set())


def test_hosts_for_new_subnet_drops_outside_entries():
    current = model(hosts=[host(2), host(3, name="vm", net="192.168.250")])
    assert p.hosts_for(current, "192.168.0.1/16", None, set()) == current["hosts"]
    assert p.hosts_for(current, "10.0.0.1/24", None, set()) == []


def test_update_ops():
    current = model(hosts=[host(2), host(5)], ranges=[("192.168.250.10", "192.168.250.20")])
    ops = p.update_ops(current, [("192.168.250.2", "192.168.250.254")], [host(2), host(3)])
    assert ops == [
        (p.DELETE, p.HOST, host(5)),
        (p.DELETE, p.RANGE, ("192.168.250.10", "192.168.250.20")),
        (p.ADD, p.RANGE, ("192.168.250.2", "192.168.250.254")),
        (p.ADD, p.HOST, host(3)),
    ]
    assert p.update_ops(current, current["ranges"], current["hosts"]) == []


def test_restart_fields():
    assert not p.restart_fields_differ(model(), model(hosts=[host(2)], ranges=[]))
    for field, value in [("forward_mode", "route"), ("bridge", "x"), ("cidr", "10.0.0.1/24"),
                         ("domain", None), ("dnsmasq_options", ["a"]), ("ip_form", "prefix")]:
        assert p.restart_fields_differ(model(), model(**{field: value}))


def test_used_ids_by_mac_and_ip():
    hosts = [host(2), {"mac": "52:54:00:00:00:07", "ip": "192.168.250.9", "name": None},
             {"mac": "aa:bb:cc:dd:ee:ff", "ip": "192.168.250.20", "name": None}]
    assert p.used_ids(model(hosts=hosts)) == {2, 7, 9, 20}
    # The entries of VMs removed first do not count.
    assert p.used_ids(model(hosts=hosts), except_macs=["52:54:00:00:00:07"]) == {2, 20}


def test_premade_ids_need_the_ids_own_mac_and_ip():
    hosts = [host(1), host(2), host(3), {"mac": "52:54:00:00:00:07", "ip": "192.168.250.9", "name": None},
             {"mac": "aa:bb:cc:dd:ee:ff", "ip": "192.168.250.20", "name": None}]
    assert p.premade_ids(model(hosts=hosts)) == {2, 3}


def test_public_model():
    out = p.public_model(model(hosts=[host(2, name="a")]), True, False)
    assert out == {
        "name": "lab", "active": True, "autostart": False, "bridge": "virbr1",
        "cidr": "192.168.250.1/24", "forward_mode": "nat", "domain": "old",
        "dhcp_range": {"start": "192.168.250.2", "end": "192.168.250.254"},
        "dnsmasq_options": [],
        "hosts": [{"id": 2, "mac": "52:54:00:00:00:02", "ip": "192.168.250.2", "name": "a"}],
    }
    assert p.public_model(model(ranges=[], cidr=None), False, False)["dhcp_range"] is None
