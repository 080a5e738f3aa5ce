"""How a group's members are claimed: pre-made DHCP host entries (static_dhcp), and fixed
VNC and gdb ports that follow the members' order. Stopped VMs: no boot is needed."""
import libvirt
from lxml import etree

from helpers.ansible_run import four_step, run_task
from helpers.state import libvirt_state

VM = "virter.core.virter_vm"
NETWORK = "virter.core.virter_network"
STATIC_NET = "vtest-statnet"
STATIC_IDS = (2, 3, 4)


def _hosts(conn):
    root = etree.fromstring(conn.networkLookupByName(STATIC_NET).XMLDesc(0))
    return sorted((h.get("mac"), h.get("ip"), h.get("name")) for h in root.iterfind("ip/dhcp/host"))


def test_static_dhcp_group_claims_premade_entries(tiny_image, libvirt_conn):
    before = libvirt_state(libvirt_conn)
    network = {"name": STATIC_NET, "cidr": "192.168.151.1/24",
               "dhcp_ids": {"first": STATIC_IDS[0], "count": len(STATIC_IDS)}}
    group = {"name": "vtest-stat", "image": tiny_image, "count": 3, "state": "stopped", "virt_type": "qemu",
             "network": STATIC_NET, "static_dhcp": True}
    try:
        made = run_task(NETWORK, network)
        assert made["changed"] and not made.get("failed"), made
        entries = _hosts(libvirt_conn)
        assert len(entries) == 3
        results = four_step(VM, group)
        assert [vm["id"] for vm in results[1]["vms"]] == list(STATIC_IDS), results[1]
        assert [vm["ip"] for vm in results[1]["vms"]] == ["192.168.151.%d" % i for i in STATIC_IDS]
        assert _hosts(libvirt_conn) == entries  # claimed, not added
        # No entry left for a fourth member: fails, in check mode as in the real run, and
        # nothing changes.
        state = (libvirt_state(libvirt_conn), _hosts(libvirt_conn))
        for check in (True, False):
            more = run_task(VM, dict(group, count=4), check=check)
            assert more.get("failed") and "has 0 free DHCP host entries, 1 VMs need one" in more["msg"], more
            assert (libvirt_state(libvirt_conn), _hosts(libvirt_conn)) == state
        # A group of its own name with no count: the same entries are taken.
        other = run_task(VM, dict(group, name="vtest-stat2", count=1), check=True)
        assert other.get("failed") and "has 0 free DHCP host entries" in other["msg"], other
        gone = run_task(VM, dict(group, state="absent"))
        assert gone["changed"] and _hosts(libvirt_conn) == entries  # the entries stay for the next lab
    finally:
        run_task(VM, dict(group, state="absent"))
        run_task(NETWORK, {"name": STATIC_NET, "state": "absent"})
    assert libvirt_state(libvirt_conn) == before


def test_fixed_ports_follow_the_members_ids(tiny_image, libvirt_conn):
    before = libvirt_state(libvirt_conn)
    group = {"name": "vtest-port", "image": tiny_image, "count": 3, "state": "stopped", "virt_type": "qemu",
             "vnc_port": 5990, "gdb_port": 1390}
    try:
        result = run_task(VM, group)
        assert result["changed"] and not result.get("failed"), result
        ids = [vm["id"] for vm in result["vms"]]
        assert ids == sorted(ids) and len(set(ids)) == 3, ids
        for index, vm in enumerate(result["vms"]):
            xml = libvirt_conn.lookupByName(vm["name"]).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
            graphics = etree.fromstring(xml).find("devices/graphics")
            assert graphics.get("port") == str(5990 + index), xml
            assert "tcp::%d" % (1390 + index) in xml, xml
    finally:
        run_task(VM, dict(group, state="absent"))
    assert libvirt_state(libvirt_conn) == before
