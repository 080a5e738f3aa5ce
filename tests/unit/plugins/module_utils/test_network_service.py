"""The network service and the DHCP reservations against libvirt's in-process test
driver (test:///default).

Each connection opened to test:///default starts from the same fresh state: a running
network `default` (192.168.122.1/24) and a running domain `test` whose interface is on it.

Limits of the test driver, covered by tests/integration/test_network.py instead:
- it keeps no separate persistent definition (no VIR_NETWORK_XML_INACTIVE), so changes
  that need a restart of a running network cannot be observed here;
- it drops <dnsmasq:options>;
- it has no DHCP leases (release's lease drop is not exercised).
It does implement virNetworkUpdate of ip-dhcp-host and ip-dhcp-range, including the
refusal of a duplicate MAC or IP that reservations rely on.
"""
import os
import shutil

import libvirt
import pytest

from ansible_collections.virter.core.plugins.module_utils.network import reservations as r
from ansible_collections.virter.core.plugins.module_utils.network import service as n
from ansible_collections.virter.core.plugins.module_utils._errors import Conflict, InvalidInput, NotFound
from ansible_collections.virter.core.plugins.module_utils._libvirt import lookup_network


def params(**kw):
    base = {"name": "lab", "state": "present", "cidr": "10.20.0.1/24", "forward_mode": "nat",
            "dhcp": True, "dhcp_ids": None, "domain": None, "bridge": "vtbr-lab",
            "autostart": True, "dnsmasq_options": [], "restart": "never", "force": False}
    base.update(kw)
    return base


def xml_of(conn, name):
    return conn.networkLookupByName(name).XMLDesc(0)


def test_create_check_mode_predicts_exactly(conn):
    p = params(domain="lab.test", dhcp_ids={"first": 2, "count": 3})
    predicted = n.NetworkService(conn, check_mode=True).present(p)
    assert predicted["changed"] and lookup_network(conn, "lab") is None
    real = n.NetworkService(conn).present(p)
    assert real["changed"]
    assert real["network"] == predicted["network"]
    assert real["diff"] == predicted["diff"]
    assert real["diff"]["before"] == {"state": "absent"}
    assert [h["id"] for h in real["network"]["hosts"]] == [2, 3, 4]
    assert real["network"]["active"] and real["network"]["autostart"]
    again = n.NetworkService(conn).present(p)
    assert not again["changed"] and not again["restart_needed"]
    assert again["diff"]["before"] == again["diff"]["after"]


def test_host_entries_added_and_removed(conn):
    service = n.NetworkService(conn)
    service.present(params(dhcp_ids={"first": 2, "count": 3}))
    p = params(dhcp_ids={"first": 4, "count": 2})
    predicted = n.NetworkService(conn, check_mode=True).present(p)
    real = service.present(p)
    assert predicted["changed"] and real["changed"] and not real["restart_needed"]
    assert predicted["network"] == real["network"]
    assert [h["ip"] for h in real["network"]["hosts"]] == ["10.20.0.4", "10.20.0.5"]
    assert "52:54:00:00:00:02" not in xml_of(conn, "lab")
    assert not service.present(p)["changed"]


def test_range_follows_dhcp(conn):
    service = n.NetworkService(conn)
    service.present(params())
    off = service.present(params(dhcp=False))
    assert off["changed"] and off["network"]["dhcp_range"] is None and not off["restart_needed"]
    on = service.present(params())
    assert on["network"]["dhcp_range"] == {"start": "10.20.0.2", "end": "10.20.0.254"}


def test_dhcp_ids_keep_named_entries_and_those_a_domain_uses(conn):
    net = conn.networkLookupByName("default")
    flags = libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE | libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG
    for entry in ("<host mac='aa:bb:cc:dd:ee:ff' ip='192.168.122.50'/>",  # domain `test` uses this MAC
                  "<host mac='52:54:00:00:00:33' name='named' ip='192.168.122.51'/>",
                  "<host mac='52:54:00:00:00:34' ip='192.168.122.52'/>"):
        net.update(libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
                   libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST, -1, entry, flags)
    result = n.NetworkService(conn).present(params(
        name="default", cidr=None, bridge=None, autostart=False, dhcp_ids={"first": 2, "count": 1}))
    assert [h["mac"] for h in result["network"]["hosts"]] == [
        "aa:bb:cc:dd:ee:ff", "52:54:00:00:00:33", "52:54:00:00:00:02"]


def test_start_an_inactive_network_and_redefine_it(conn):
    service = n.NetworkService(conn)
    service.present(params())
    conn.networkLookupByName("lab").destroy()
    p = params(domain="lab.test", forward_mode="route")
    predicted = n.NetworkService(conn, check_mode=True).present(p)
    real = service.present(p)
    assert predicted["changed"] and real["changed"] and not real["restart_needed"]
    assert predicted["network"] == real["network"]
    assert real["network"]["active"] and real["network"]["domain"] == "lab.test"
    assert real["diff"]["before"]["active"] is False


@pytest.mark.parametrize("kw, error, match", [
    ({"cidr": "10.20.0.1"}, InvalidInput, "prefix length"),
    ({"cidr": "fd00::1/64"}, InvalidInput, "IPv4"),
    ({"cidr": "10.20.0.0/24"}, InvalidInput, "network or broadcast"),
    ({"dhcp_ids": {"first": 250, "count": 10}}, InvalidInput, "do not fit"),
    ({"dhcp_ids": {"first": 2, "count": 70000}}, InvalidInput, "65535"),
    ({"forward_mode": "passthrough"}, InvalidInput, "forward_mode"),
    ({"name": "no/slash"}, InvalidInput, "invalid network name"),
    ({"cidr": None}, InvalidInput, "needs an IPv4 address"),
])
@pytest.mark.parametrize("existing", [False, True])
def test_bad_input_changes_nothing(conn, kw, error, match, existing):
    if existing:
        n.NetworkService(conn).present(params(dhcp_ids={"first": 2, "count": 2}))
    before = {net.name(): net.XMLDesc(0) for net in conn.listAllNetworks()}
    if existing and kw.get("cidr", 1) is None:
        return  # an existing network keeps its address: not an error
    with pytest.raises(error, match=match):
        n.NetworkService(conn).present(params(**kw))
    assert {net.name(): net.XMLDesc(0) for net in conn.listAllNetworks()} == before


def test_absent_refuses_while_vms_are_attached(conn):
    with pytest.raises(Conflict, match=r"VMs attached \(test\).*force"):
        n.NetworkService(conn).absent("default")
    assert lookup_network(conn, "default") is not None
    predicted = n.NetworkService(conn, check_mode=True).absent("default", force=True)
    assert predicted["changed"] and lookup_network(conn, "default") is not None
    result = n.NetworkService(conn).absent("default", force=True)
    assert result["changed"] and result["network"] is None
    assert result["diff"]["after"] == {"state": "absent"}
    assert lookup_network(conn, "default") is None
    assert not n.NetworkService(conn).absent("default")["changed"]


def test_info_lists_and_filters(conn):
    n.NetworkService(conn).present(params())
    assert [net["name"] for net in n.list_networks(conn)] == ["default", "lab"]
    assert n.list_networks(conn, "lab")[0]["cidr"] == "10.20.0.1/24"
    assert n.list_networks(conn, "missing") == []


def test_reserve_lowest_free_and_release(conn):
    assert r.reserve(conn, "default") == (2, "52:54:00:00:00:02", "192.168.122.2")
    assert r.reserve(conn, "default", name="vm3") == (3, "52:54:00:00:00:03", "192.168.122.3")
    assert r.reserve(conn, "default", vm_id=10) == (10, "52:54:00:00:00:0a", "192.168.122.10")
    assert r.release(conn, "default", "52:54:00:00:00:02", check_mode=True)
    assert "52:54:00:00:00:02" in xml_of(conn, "default")
    assert r.release(conn, "default", "52:54:00:00:00:02")
    assert "52:54:00:00:00:02" not in xml_of(conn, "default")
    assert not r.release(conn, "default", "52:54:00:00:00:02")
    assert not r.release(conn, "missing", "52:54:00:00:00:02")
    # the freed id is the lowest again
    assert r.reserve(conn, "default")[0] == 2


def test_reserve_skips_ids_taken_by_mac_or_ip(conn):
    net = conn.networkLookupByName("default")
    net.update(libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST, -1,
               "<host mac='52:54:00:00:00:04' ip='192.168.122.2'/>",
               libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE | libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG)
    assert [r.reserve(conn, "default")[0] for _round in range(3)] == [3, 5, 6]


def test_reserve_retries_when_another_process_was_faster(conn, monkeypatch):
    """The read says id 2 is free, but another reservation took it before our update."""
    stale = r._current_model(conn.networkLookupByName("default"))
    r.reserve(conn, "default")  # the other process
    reads = []
    real = r._current_model

    def first_read_stale(net):
        reads.append(1)
        return stale if len(reads) == 1 else real(net)

    monkeypatch.setattr(r, "_current_model", first_read_stale)
    assert r.reserve(conn, "default")[0] == 3
    assert len(reads) == 2


def test_reserve_conflicts(conn):
    r.reserve(conn, "default", vm_id=5, name="five")
    with pytest.raises(Conflict, match="id 5 is taken"):
        r.reserve(conn, "default", vm_id=5)
    with pytest.raises(Conflict, match="named five"):
        r.reserve(conn, "default", name="five")
    with pytest.raises(InvalidInput, match="host's own address"):
        r.reserve(conn, "default", vm_id=1)
    with pytest.raises(InvalidInput, match="broadcast"):
        r.reserve(conn, "default", vm_id=255)
    with pytest.raises(NotFound):
        r.reserve(conn, "missing")


def test_reserve_full_network(conn):
    n.NetworkService(conn).present(params(cidr="10.20.0.1/29", dhcp_ids={"first": 2, "count": 5}))
    with pytest.raises(Conflict, match="no free id"):
        r.reserve(conn, "lab")


@pytest.mark.parametrize("xml, match", [
    ("<network><name>noip</name><bridge name='vtbr-noip'/></network>", "no IPv4 address"),
    ("<network><name>nodhcp</name><bridge name='vtbr-nodhcp'/>"
     "<ip address='10.30.0.1' prefix='24'/></network>", "no IPv4 DHCP range"),
    ("<network><name>v6</name><bridge name='vtbr-v6'/>"
     "<ip family='ipv6' address='fd00::1' prefix='64'><dhcp><range start='fd00::2' end='fd00::9'/></dhcp></ip>"
     "</network>", "no IPv4 address"),
])
def test_network_of_another_shape_is_no_access_network(conn, xml, match):
    conn.networkDefineXML(xml).create()
    name = xml.split("<name>")[1].split("<")[0]
    with pytest.raises(Conflict, match="cannot be an access network: it has " + match):
        r.reserve(conn, name)


def networks(conn):
    return {net.name(): (net.XMLDesc(0), bool(net.isActive())) for net in conn.listAllNetworks()}


@pytest.mark.parametrize("kw, match", [
    ({"cidr": "192.168.122.129/25"}, "cidr 192.168.122.129/25 of network lab overlaps the subnet "
                                     "192.168.122.0/24 of network default: choose a subnet"),
    ({"cidr": "10.31.0.1/16"}, "overlaps the subnet 10.31.7.0/24 of network idle"),
    ({"bridge": "virbr0"}, "bridge virbr0 is the bridge of network default already"),
    ({"bridge": "vtbr-idle"}, "bridge vtbr-idle is the bridge of network idle already"),
    ({"bridge": "eth1"}, "bridge eth1 cannot be made: the hypervisor has an interface of that name already"),
])
@pytest.mark.parametrize("check_mode", [True, False])
def test_what_another_network_or_interface_has_is_refused(conn, kw, match, check_mode):
    conn.networkDefineXML("<network><name>idle</name><bridge name='vtbr-idle'/>"
                          "<ip address='10.31.7.1' netmask='255.255.255.0'/></network>")  # never started
    before = networks(conn)
    with pytest.raises(Conflict, match=match):
        n.NetworkService(conn, check_mode=check_mode).present(params(**kw))
    assert networks(conn) == before


def test_an_existing_network_keeps_its_own_subnet_and_bridge_but_takes_no_other(conn):
    service = n.NetworkService(conn)
    service.present(params())
    assert not service.present(params(cidr="10.20.0.1/24"))["changed"]
    before = networks(conn)
    with pytest.raises(Conflict, match="overlaps the subnet 192.168.122.0/24 of network default"):
        service.present(params(cidr="192.168.122.1/23"))
    with pytest.raises(Conflict, match="bridge virbr0 is the bridge of network default"):
        service.present(params(bridge="virbr0"))
    assert networks(conn) == before
    # the test driver's own network converges onto what it has
    converged = service.present(params(name="default", cidr="192.168.122.1/24", bridge="virbr0"))
    assert converged["network"]["cidr"] == "192.168.122.1/24" and converged["network"]["bridge"] == "virbr0"


DNSMASQ = shutil.which("dnsmasq", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))


@pytest.mark.skipif(DNSMASQ is None, reason="needs dnsmasq")
def test_a_dnsmasq_option_dnsmasq_refuses_is_refused_here(conn):
    with pytest.raises(InvalidInput, match=r"dnsmasq option 'no-such-option' is refused by dnsmasq \(bad option\)"):
        n.NetworkService(conn, check_mode=True).present(params(dnsmasq_options=["log-dhcp", "no-such-option"]))
    assert lookup_network(conn, "lab") is None
    assert n.NetworkService(conn).present(params(dnsmasq_options=["log-dhcp"]))["changed"]


def test_control_characters_in_a_dnsmasq_option_are_refused(conn):
    with pytest.raises(InvalidInput, match="line break"):
        n.NetworkService(conn).present(params(dnsmasq_options=["log-dhcp\naddress=/example.com/10.0.0.9"]))
    assert lookup_network(conn, "lab") is None


def libvirt_error(message):
    exc = libvirt.libvirtError(message)
    exc.err = (libvirt.VIR_ERR_INTERNAL_ERROR, libvirt.VIR_FROM_NONE, message, 2, None, None, None, 0, 0)
    return exc


DNSMASQ_EXIT = ("internal error: Child process (VIR_BRIDGE_NAME=vtbr-lab /usr/sbin/dnsmasq "
                "--conf-file=/var/lib/libvirt/dnsmasq/lab.conf --leasefile-ro) unexpected exit status 1: "
                "\ndnsmasq: bad option at line 13 of /var/lib/libvirt/dnsmasq/lab.conf\n")


@pytest.mark.parametrize("inactive", [False, True])
def test_a_network_that_does_not_start_is_explained(conn, monkeypatch, inactive):
    """libvirt on another host (no local dnsmasq to ask first): its dnsmasq's refusal
    without the command line. A new network is not left behind."""
    if inactive:
        conn.networkDefineXML(n.render_network(dict(
            n.plan.desired_network(params(), None), hosts=[])))
    monkeypatch.setattr(n, "on_hypervisor", lambda conn: False)

    def refuse(net):
        raise libvirt_error(DNSMASQ_EXIT)

    monkeypatch.setattr(libvirt.virNetwork, "create", refuse)
    with pytest.raises(Conflict) as refused:
        n.NetworkService(conn).present(params(dnsmasq_options=["no-such-option"]))
    assert refused.value.msg.startswith(
        "network lab cannot start: dnsmasq refuses its configuration (bad option at line 13 of "
        "/var/lib/libvirt/dnsmasq/lab.conf); check dnsmasq_options: give each option")
    assert (lookup_network(conn, "lab") is not None) == inactive
