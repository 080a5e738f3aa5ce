"""Tasks that state only what they are about: options a task leaves out are neither
compared with an existing VM nor changed on it. VMs here are made from the tiny image
(QEMU runs, nothing boots) on a network of their own, vtest-declnet."""
import libvirt
import pytest
from lxml import etree

from helpers.ansible_run import four_step, run_task
from helpers.state import libvirt_state, only

VM = "virter.core.virter_vm"
NETWORK = "virter.core.virter_network"
NET = "vtest-declnet"
SUBNET = "192.168.161"


@pytest.fixture(scope="module")
def decl_network():
    made = run_task(NETWORK, {"name": NET, "cidr": SUBNET + ".1/24"})
    assert not made.get("failed"), made
    yield NET
    run_task(NETWORK, {"name": NET, "state": "absent", "force": True})


def inactive_xml(conn, name):
    return conn.lookupByName(name).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)


def net_hosts(conn):
    return libvirt_state(conn, network=NET)["hosts"]


def test_stop_start_remove_by_name_change_nothing_else(tiny_image, decl_network, libvirt_conn):
    """A VM made with an extra disk, user_data, a non-default network and 2G: a task with
    only its name and state finds it, and its definition stays as it was."""
    name = "vtest-decl"
    made = run_task(VM, {"name": name, "image": tiny_image, "network": NET, "memory": "2G", "virt_type": "qemu",
                         "disks": [{"name": "data", "size": "64M"}], "state": "stopped",
                         "user_data": {"write_files": [{"path": "/etc/motd", "content": "lab\n"}]}})
    try:
        assert made["changed"] and not made.get("failed"), made
        definition = inactive_xml(libvirt_conn, name)
        # The tiny image boots nothing: no waiting for SSH.
        started = four_step(VM, {"name": name, "wait_for": "none"})
        assert started[1]["vms"][0]["network"] == NET and started[1]["vms"][0]["state"] == "running"
        assert started[0]["diff"] == started[1]["diff"], started
        assert libvirt_conn.lookupByName(name).isActive()
        assert inactive_xml(libvirt_conn, name) == definition
        # Nothing in the guest answers ACPI: the stop ends with a hard stop after shutdown_timeout.
        stopped = four_step(VM, {"name": name, "state": "stopped"})
        assert not stopped[1]["reboot_needed"] and stopped[1]["diff"]["after"]["vms"] == {name: {"state": "stopped"}}
        assert not libvirt_conn.lookupByName(name).isActive()
        assert inactive_xml(libvirt_conn, name) == definition
        # Declared, the memory is compared again.
        drift = run_task(VM, {"name": name, "state": "stopped", "memory": "1G"}, check=True, diff=True)
        assert drift["changed"] and drift["diff"]["after"]["vms"][name] == {"state": "stopped", "memory": 1024 ** 3}
        four_step(VM, {"name": name, "state": "absent"})
        assert only(libvirt_state(libvirt_conn, network=NET), name) == {"domains": [], "volumes": [], "hosts": []}
    finally:
        run_task(VM, {"name": name, "state": "absent"})


def test_a_group_by_name_and_count(tiny_image, decl_network, libvirt_conn):
    group = "vtest-declg"
    made = run_task(VM, {"name": group, "count": 2, "image": tiny_image, "network": NET, "memory": "512M",
                         "vcpus": 2, "virt_type": "qemu", "state": "stopped"})
    try:
        assert made["changed"] and len(made["vms"]) == 2, made
        again = run_task(VM, {"name": group, "count": 2, "state": "stopped"}, check=True, diff=True)
        assert again["changed"] is False and [vm["name"] for vm in again["vms"]] == \
            [vm["name"] for vm in made["vms"]], again
        # Growing needs an image: the task fails naming the new member, and nothing changes.
        state = libvirt_state(libvirt_conn, network=NET)
        grown = run_task(VM, {"name": group, "count": 3, "state": "stopped"})
        assert grown.get("failed") and "image is required to create VM" in grown["msg"], grown
        assert libvirt_state(libvirt_conn, network=NET) == state
    finally:
        run_task(VM, {"name": group, "count": 0})
    assert only(libvirt_state(libvirt_conn, network=NET), group) == {"domains": [], "volumes": [], "hosts": []}


def test_an_unknown_vm_without_image_fails_naming_it(libvirt_conn):
    before = libvirt_state(libvirt_conn)
    for check in (True, False):
        result = run_task(VM, {"name": "vtest-nobody", "state": "stopped"}, check=check)
        assert result.get("failed") and result["msg"] == "image is required to create VM vtest-nobody", result
    assert libvirt_state(libvirt_conn) == before


def test_an_ip_held_under_a_foreign_mac_fails_before_anything_is_removed(tiny_image, decl_network, libvirt_conn):
    """Moving group vtest-declid from id 20 to ids 30-31 while a host entry holds id 31's IP
    under another MAC: the plan refuses id 31 as the reservation would, and member 20 stays."""
    group = {"name": "vtest-declid", "image": tiny_image, "network": NET, "virt_type": "qemu", "state": "stopped"}
    foreign = "<host mac='aa:bb:cc:00:00:31' ip='%s.31'/>" % SUBNET
    net = libvirt_conn.networkLookupByName(NET)
    flags = libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE | libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG
    made = run_task(VM, dict(group, count=1, id=20))
    try:
        assert made["changed"] and made["vms"][0]["id"] == 20, made
        net.update(libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST, -1,
                   foreign, flags)
        state = (libvirt_state(libvirt_conn, network=NET), net_hosts(libvirt_conn))
        for check in (True, False):
            moved = run_task(VM, dict(group, count=2, id=30), check=check)
            assert moved.get("failed") and "id 31 is taken on network %s" % NET in moved["msg"], moved
            assert (libvirt_state(libvirt_conn, network=NET), net_hosts(libvirt_conn)) == state
    finally:
        run_task(VM, dict(group, count=0))
        try:
            net.update(libvirt.VIR_NETWORK_UPDATE_COMMAND_DELETE, libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST, -1,
                       foreign, flags)
        except libvirt.libvirtError:
            pass


def test_a_vm_virter_made_by_name(tiny_image, decl_network, libvirt_conn):
    """A VM with virter's metadata only (no record of the collection's): started and
    removed by name, its definition untouched."""
    name = "vtest-declvirter"
    made = run_task(VM, {"name": name, "image": tiny_image, "network": NET, "memory": "384M", "virt_type": "qemu",
                         "state": "stopped"})
    try:
        assert made["changed"], made
        root = etree.fromstring(inactive_xml(libvirt_conn, name))
        metadata = root.find("metadata")
        metadata.remove(metadata.find("{https://virter-core/vm/1}vm"))
        libvirt_conn.defineXML(etree.tostring(root, encoding="unicode"))
        definition = inactive_xml(libvirt_conn, name)
        started = four_step(VM, {"name": name, "wait_for": "none"})
        assert started[1]["vms"][0]["image"] is None and started[1]["vms"][0]["ip"] == made["vms"][0]["ip"]
        assert inactive_xml(libvirt_conn, name) == definition
        four_step(VM, {"name": name, "state": "absent"})
        assert only(libvirt_state(libvirt_conn, network=NET), name) == {"domains": [], "volumes": [], "hosts": []}
    finally:
        run_task(VM, {"name": name, "state": "absent"})
