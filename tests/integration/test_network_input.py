"""virter_network refuses what would clash with the hypervisor, or cannot work, with one
clear sentence, and changes nothing: a subnet or bridge another network has, a bridge
name a host interface has, an address a host interface has, a domain that is no DNS
name, an option dnsmasq refuses, a URI libvirt has no driver for."""
import libvirt
import pytest

from helpers.ansible_run import run_task
from helpers.host_iface import host_interface

NET = "virter.core.virter_network"
NO_TRACEBACK = "(traceback unavailable)"
NEW = {"name": "vtest-in-new", "cidr": "192.168.214.1/24", "bridge": "vtbr-in-new"}
# Defined and never started: inactive networks count as much as running ones.
NEIGHBOUR = ("<network><name>vtest-in-a</name><bridge name='vtbr-in-a'/><forward mode='nat'/>"
             "<ip address='192.168.213.1' netmask='255.255.255.0'/></network>")


@pytest.fixture
def neighbour(libvirt_conn):
    net = libvirt_conn.networkDefineXML(NEIGHBOUR)
    yield
    net.undefine()


def networks(conn):
    return {n.name(): n.XMLDesc(libvirt.VIR_NETWORK_XML_INACTIVE) for n in conn.listAllNetworks()}


def refused(conn, args, *expected):
    """Run the task; assert it failed cleanly with every `expected` text in its message and
    left every network as it was."""
    before = networks(conn)
    result = run_task(NET, args)
    after = networks(conn)
    if "vtest-in-new" in after:  # the cleanup of a run that made it (without the fix)
        made = conn.networkLookupByName("vtest-in-new")
        if made.isActive():
            made.destroy()
        made.undefine()
    assert result.get("failed") is True, result
    # ansible-core 2.19 gives every failed task an `exception`; a traceback would be its text.
    assert result.get("exception", NO_TRACEBACK) == NO_TRACEBACK and "module_stderr" not in result, result
    for text in expected:
        assert text in result["msg"], result["msg"]
    assert "Child process" not in result["msg"] and "--conf-file" not in result["msg"]
    assert after == before
    return result["msg"]


@pytest.mark.parametrize("change, expected", [
    ({"cidr": "192.168.213.129/25"}, ("overlaps", "192.168.213.0/24", "vtest-in-a")),
    ({"cidr": "192.168.122.129/25"}, ("overlaps", "192.168.122.0/24", "network default")),
    ({"domain": "lab test"}, ("invalid domain 'lab test'", "DNS name")),
    ({"bridge": "vtbr-in-a"}, ("bridge vtbr-in-a", "network vtest-in-a", "leave bridge unset")),
    ({"bridge": "lo"}, ("bridge lo", "interface", "leave bridge unset")),
    ({"dnsmasq_options": ["log-dhcp", "no-such-option"]}, ("'no-such-option'", "bad option")),
], ids=["overlap-inactive", "overlap-default", "domain", "bridge-of-network", "bridge-of-interface",
        "dnsmasq-option"])
def test_a_new_network_is_refused(libvirt_conn, neighbour, change, expected):
    refused(libvirt_conn, dict(NEW, **change), *expected)


def test_an_address_of_a_host_interface_is_refused(libvirt_conn):
    with host_interface("vtin-busy", "192.168.216.5/24"):
        refused(libvirt_conn, dict(NEW, cidr="192.168.216.1/24"),
                "vtest-in-new", "in use by interface vtin-busy", "choose another cidr")


def test_a_uri_without_a_libvirt_driver_is_explained(libvirt_conn):
    msg = refused(libvirt_conn, dict(NEW, uri="foo://x/system"), "foo://x/system", "driver foo", "qemu:///system")
    assert "CA certificate" not in msg
