"""virter_network and virter_network_info against the sandbox's libvirtd, through real
ansible-playbook runs of the installed collection; reservations from real processes.

Every network here is named vtest-*, uses its own 192.168.2xx.0/24 and bridge, and is
removed at the end. The sandbox's `default` network is never touched.
"""
import subprocess
import sys
from pathlib import Path

import libvirt
import pytest
from lxml import etree

from helpers.ansible_run import four_step, run_task
from helpers.host_iface import host_interface

ROOT = Path(__file__).resolve().parents[2]
NET = "virter.core.virter_network"
INFO = "virter.core.virter_network_info"


@pytest.fixture
def networks(libvirt_conn):
    """Names of networks to remove when the test ends (whatever state they are in)."""
    names = []
    yield names
    for name in names:
        try:
            net = libvirt_conn.networkLookupByName(name)
        except libvirt.libvirtError:
            continue
        if net.isActive():
            net.destroy()
        if net.isPersistent():
            net.undefine()


@pytest.fixture
def domains(libvirt_conn):
    """Names of (never started) domains to undefine when the test ends."""
    names = []
    yield names
    for name in names:
        try:
            libvirt_conn.lookupByName(name).undefine()
        except libvirt.libvirtError:
            pass


def xml(conn, name, inactive=False):
    net = conn.networkLookupByName(name)
    return etree.fromstring(net.XMLDesc(libvirt.VIR_NETWORK_XML_INACTIVE if inactive else 0))


def hosts(conn, name, inactive=False):
    return [(h.get("mac"), h.get("ip")) for h in xml(conn, name, inactive).iterfind("ip/dhcp/host")]


def assert_ok(result):
    assert not result.get("failed"), result.get("msg")
    return result


def test_create_is_idempotent_and_check_mode_predicts(libvirt_conn, networks):
    networks.append("vtest-create")
    args = {"name": "vtest-create", "cidr": "192.168.201.1/24", "bridge": "vtbr-create",
            "domain": "create.test", "dhcp_ids": {"first": 2, "count": 3},
            "dnsmasq_options": ["log-dhcp"]}
    results = four_step(NET, args)
    for result in results:
        assert_ok(result)
    check, real = results[0], results[1]
    assert check["network"] == real["network"]
    assert check["diff"] == real["diff"]
    assert real["network"] == {
        "name": "vtest-create", "active": True, "autostart": True, "bridge": "vtbr-create",
        "cidr": "192.168.201.1/24", "forward_mode": "nat", "domain": "create.test",
        "dhcp_range": {"start": "192.168.201.2", "end": "192.168.201.254"},
        "dnsmasq_options": ["log-dhcp"],
        "hosts": [{"id": i, "mac": "52:54:00:00:00:%02x" % i, "ip": "192.168.201.%d" % i, "name": None}
                  for i in (2, 3, 4)],
    }
    assert not any(r["restart_needed"] for r in results)
    # virter reads only the netmask= form
    ip = xml(libvirt_conn, "vtest-create", inactive=True).find("ip")
    assert ip.get("netmask") == "255.255.255.0" and ip.get("prefix") is None
    assert hosts(libvirt_conn, "vtest-create") == hosts(libvirt_conn, "vtest-create", inactive=True)


BASE = {"name": "vtest-attr", "cidr": "192.168.202.1/24", "bridge": "vtbr-attr"}


@pytest.mark.parametrize("change, restart_needed", [
    ({"forward_mode": "route"}, True),
    ({"forward_mode": "none"}, True),
    ({"cidr": "192.168.203.1/24"}, True),
    ({"dhcp": False}, False),
    ({"domain": "attr.test"}, True),
    ({"bridge": "vtbr-attr2"}, True),
    ({"autostart": False}, False),
    ({"dnsmasq_options": ["log-queries"]}, True),
    ({"dhcp_ids": {"first": 10, "count": 2}}, False),
])
def test_change_of_each_attribute(libvirt_conn, networks, change, restart_needed):
    networks.append("vtest-attr")
    assert_ok(run_task(NET, BASE))
    args = dict(BASE, **change)
    results = four_step(NET, args)
    for result in results:
        assert_ok(result)
    assert results[0]["network"] == results[1]["network"]
    assert [r["restart_needed"] for r in results] == [restart_needed] * 4
    key = next(iter(change))
    expect = {"dhcp": ("dhcp_range", None), "dhcp_ids": ("hosts", [
        {"id": 10, "mac": "52:54:00:00:00:0a", "ip": "192.168.202.10", "name": None},
        {"id": 11, "mac": "52:54:00:00:00:0b", "ip": "192.168.202.11", "name": None}])}
    field, value = expect.get(key, (key, change[key]))
    assert results[1]["network"][field] == value
    assert results[1]["diff"]["before"][field] != value
    # what needs no restart is live already; the rest is pending
    live = xml(libvirt_conn, "vtest-attr")
    if key == "dhcp":
        assert live.find("ip/dhcp/range") is None
    if key == "domain":
        assert live.find("domain") is None


def test_restart_applies_pending_changes(libvirt_conn, networks):
    networks.append("vtest-restart")
    args = {"name": "vtest-restart", "cidr": "192.168.204.1/24", "bridge": "vtbr-restart"}
    assert_ok(run_task(NET, args))
    pending = assert_ok(run_task(NET, dict(args, domain="one.test")))
    assert pending["changed"] and pending["restart_needed"]
    # nothing attached, so if_unused restarts; the change is live afterwards
    restarted = assert_ok(run_task(NET, dict(args, domain="one.test", restart="if_unused")))
    assert restarted["changed"] and not restarted["restart_needed"]
    assert xml(libvirt_conn, "vtest-restart").find("domain").get("name") == "one.test"
    results = four_step(NET, dict(args, domain="two.test", restart="always"))
    assert not any(r["restart_needed"] for r in results)
    assert xml(libvirt_conn, "vtest-restart").find("domain").get("name") == "two.test"


def test_a_restart_that_fails_restores_the_network(libvirt_conn, networks):
    """The new subnet is on an interface of the hypervisor already, so it cannot start:
    the old definition comes back, running, instead of a network that is down."""
    networks.append("vtest-restore")
    args = {"name": "vtest-restore", "cidr": "192.168.211.1/24", "bridge": "vtbr-restore"}
    assert_ok(run_task(NET, args))
    with host_interface("vtin-restore", "192.168.217.5/24"):
        failed = run_task(NET, dict(args, cidr="192.168.217.1/24", restart="always"))
    assert failed.get("failed") and failed["msg"].endswith(
        "in use by interface vtin-restore of the hypervisor already; choose another cidr, or remove that "
        "address from vtin-restore; its previous definition was restored and started"), failed
    net = libvirt_conn.networkLookupByName("vtest-restore")
    assert net.isActive()
    assert xml(libvirt_conn, "vtest-restore").find("ip").get("address") == "192.168.211.1"
    assert not assert_ok(run_task(NET, args))["changed"]


def test_a_prefix_form_address_is_rewritten_with_a_netmask(libvirt_conn, networks):
    """virter reads only netmask=: a network defined with prefix= is redefined, and
    restarted when nothing is attached."""
    networks.append("vtest-prefix")
    libvirt_conn.networkDefineXML(
        "<network><name>vtest-prefix</name><bridge name='vtbr-prefix'/><forward mode='nat'/>"
        "<ip address='192.168.212.1' prefix='24'><dhcp><range start='192.168.212.2' end='192.168.212.254'/>"
        "</dhcp></ip></network>").create()
    args = {"name": "vtest-prefix", "restart": "if_unused"}
    results = four_step(NET, args)
    ip = xml(libvirt_conn, "vtest-prefix").find("ip")
    assert ip.get("prefix") is None and ip.get("netmask") == "255.255.255.0"


def test_host_entries_added_and_removed_live_and_persistent(libvirt_conn, networks):
    networks.append("vtest-hosts")
    args = {"name": "vtest-hosts", "cidr": "192.168.205.1/24", "bridge": "vtbr-hosts"}
    assert_ok(run_task(NET, dict(args, dhcp_ids={"first": 2, "count": 3})))
    results = four_step(NET, dict(args, dhcp_ids={"first": 4, "count": 3}))
    want = [("52:54:00:00:00:%02x" % i, "192.168.205.%d" % i) for i in (4, 5, 6)]
    assert hosts(libvirt_conn, "vtest-hosts") == want
    assert hosts(libvirt_conn, "vtest-hosts", inactive=True) == want
    assert not results[1]["restart_needed"]
    # without dhcp_ids, host entries are left alone
    assert not assert_ok(run_task(NET, args))["changed"]
    results = four_step(NET, dict(args, dhcp_ids={"first": 4, "count": 0}))
    assert hosts(libvirt_conn, "vtest-hosts") == [] == hosts(libvirt_conn, "vtest-hosts", inactive=True)


def define_domain(conn, name, network):
    """A domain with an interface on `network`, defined only (never started)."""
    root = etree.Element("domain", type="qemu")
    etree.SubElement(root, "name").text = name
    etree.SubElement(root, "memory", unit="MiB").text = "64"
    os_ = etree.SubElement(root, "os")
    etree.SubElement(os_, "type").text = "hvm"
    iface = etree.SubElement(etree.SubElement(root, "devices"), "interface", type="network")
    etree.SubElement(iface, "source", network=network)
    etree.SubElement(iface, "mac", address="52:54:00:00:00:07")
    conn.defineXML(etree.tostring(root, encoding="unicode"))


def test_absent(libvirt_conn, networks, domains):
    networks.append("vtest-absent")
    domains.append("vtest-absent-vm")
    args = {"name": "vtest-absent", "cidr": "192.168.206.1/24", "bridge": "vtbr-absent",
            "dhcp_ids": {"first": 2, "count": 10}}
    assert_ok(run_task(NET, args))
    define_domain(libvirt_conn, "vtest-absent-vm", "vtest-absent")
    # dhcp_ids never removes an entry whose MAC a VM uses
    assert_ok(run_task(NET, dict(args, dhcp_ids={"first": 2, "count": 1})))
    assert ("52:54:00:00:00:07", "192.168.206.7") in hosts(libvirt_conn, "vtest-absent")
    refused = run_task(NET, {"name": "vtest-absent", "state": "absent"})
    assert refused["failed"] and "vtest-absent-vm" in refused["msg"] and "force" in refused["msg"]
    assert libvirt_conn.networkLookupByName("vtest-absent").isActive()
    results = four_step(NET, {"name": "vtest-absent", "state": "absent", "force": True})
    assert results[1]["diff"]["after"] == {"state": "absent"}
    assert "vtest-absent" not in [n.name() for n in libvirt_conn.listAllNetworks()]


@pytest.mark.parametrize("args, match", [
    ({"cidr": "192.168.207.1"}, "prefix length"),
    ({"cidr": "192.168.207.300/24"}, "IPv4"),
    ({"cidr": "fd00::1/64"}, "IPv4"),
    ({"dhcp_ids": {"first": 250, "count": 10}}, "do not fit"),
    ({"dhcp_ids": {"first": 2, "count": 70000}}, "65535"),
    ({"forward_mode": "bridge"}, "forward_mode"),
    ({"name": "vtest bad"}, "invalid network name"),
])
def test_bad_input_fails_cleanly_and_changes_nothing(libvirt_conn, networks, args, match):
    networks.append("vtest-bad")
    base = {"name": "vtest-bad", "cidr": "192.168.207.1/24", "bridge": "vtbr-bad"}
    assert_ok(run_task(NET, base))
    before = {n.name(): n.XMLDesc(libvirt.VIR_NETWORK_XML_INACTIVE) for n in libvirt_conn.listAllNetworks()}
    result = run_task(NET, dict(base, **args))
    assert result["failed"]
    assert match in result["msg"]
    assert "Traceback" not in result["msg"] and "module_stderr" not in result
    after = {n.name(): n.XMLDesc(libvirt.VIR_NETWORK_XML_INACTIVE) for n in libvirt_conn.listAllNetworks()}
    assert after == before


def test_info_reads_networks_virter_defines(libvirt_conn, networks):
    networks.extend(["vtest-vprefix", "vtest-vnodhcp"])
    libvirt_conn.networkDefineXML(
        "<network><name>vtest-vprefix</name><forward mode='nat'/><bridge name='vtbr-vprefix'/>"
        "<ip address='192.168.208.1' prefix='24'><dhcp><range start='192.168.208.2' end='192.168.208.254'/>"
        "<host mac='52:54:00:00:00:02' ip='192.168.208.3'/></dhcp></ip></network>")
    libvirt_conn.networkDefineXML(
        "<network><name>vtest-vnodhcp</name><bridge name='vtbr-vnodhcp'/>"
        "<ip address='192.168.209.1' netmask='255.255.255.0'/></network>")
    result = assert_ok(run_task(INFO, {}))
    found = {n["name"]: n for n in result["networks"]}
    assert found["vtest-vprefix"]["cidr"] == "192.168.208.1/24"
    assert found["vtest-vprefix"]["hosts"] == [
        {"id": 2, "mac": "52:54:00:00:00:02", "ip": "192.168.208.3", "name": None}]
    assert found["vtest-vnodhcp"]["dhcp_range"] is None
    assert found["vtest-vnodhcp"]["forward_mode"] == "none" and not found["vtest-vnodhcp"]["active"]
    assert assert_ok(run_task(INFO, {"name": "vtest-vnodhcp"}))["networks"] == [found["vtest-vnodhcp"]]
    assert assert_ok(run_task(INFO, {"name": "vtest-missing"}))["networks"] == []
    # converging it keeps its hosts and starts it; a network without IPv4 is no access network
    converged = assert_ok(run_task(NET, {"name": "vtest-vprefix"}))
    assert converged["changed"] and converged["network"]["active"]
    assert converged["network"]["hosts"] == found["vtest-vprefix"]["hosts"]


def test_uri_env_fallback(networks):
    result = assert_ok(run_task(INFO, {}, env={"VIRTER_LIBVIRT_URI": "test:///default"}))
    assert [n["name"] for n in result["networks"]] == ["default"]


RESERVE = """
import sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.virter.core.plugins.module_utils import _ansible_module as ansible_module
from ansible_collections.virter.core.plugins.module_utils.network import reservations
conn = ansible_module.connect("qemu:///system")
print(reservations.reserve(conn, sys.argv[2])[0])
"""


def test_concurrent_reservations_get_distinct_ids(libvirt_conn, networks):
    networks.append("vtest-reserve")
    assert_ok(run_task(NET, {"name": "vtest-reserve", "cidr": "192.168.210.1/24", "bridge": "vtbr-reserve"}))
    src = ROOT / "build" / "src"  # the source tree as ansible_collections.virter.core (tests/conftest.py)
    procs = [subprocess.Popen([sys.executable, "-c", RESERVE, str(src), "vtest-reserve"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _proc in range(8)]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), outputs
    ids = sorted(int(out) for out, _err in outputs)
    assert ids == list(range(2, 10))
    assert len(hosts(libvirt_conn, "vtest-reserve")) == 8
    assert hosts(libvirt_conn, "vtest-reserve") == hosts(libvirt_conn, "vtest-reserve", inactive=True)

    from ansible_collections.virter.core.plugins.module_utils.network import reservations
    for vm_id in ids:
        assert reservations.release(libvirt_conn, "vtest-reserve", "52:54:00:00:00:%02x" % vm_id)
    assert hosts(libvirt_conn, "vtest-reserve") == [] == hosts(libvirt_conn, "vtest-reserve", inactive=True)


def test_a_network_without_ipv4_is_no_access_network(libvirt_conn, networks):
    networks.append("vtest-noip")
    libvirt_conn.networkDefineXML("<network><name>vtest-noip</name><bridge name='vtbr-noip'/></network>")
    from ansible_collections.virter.core.plugins.module_utils.network import reservations
    from ansible_collections.virter.core.plugins.module_utils._errors import Conflict
    with pytest.raises(Conflict, match="cannot be an access network: it has no IPv4 address"):
        reservations.reserve(libvirt_conn, "vtest-noip")
    assert hosts(libvirt_conn, "vtest-noip", inactive=True) == []
