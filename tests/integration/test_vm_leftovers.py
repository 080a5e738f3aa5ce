"""What a failed or interrupted virter_vm run leaves is rolled back or reclaimed: a VM that
does not start is removed again, and the next run of a group (or virter_layer pruned)
takes away the host entry and work volumes a killed creation left. No guest boots."""
import socket

import libvirt
from lxml import etree

from helpers.ansible_run import run_task
from helpers.guest import POOL, overlay_volume
from helpers.state import libvirt_state, only

VM = "virter.core.virter_vm"
MAC_BASE = "52:54:00:4c:d0:"


def top_layer_path(conn, image):
    tag = conn.storagePoolLookupByName(POOL).storageVolLookupByName("virter:tag:" + image)
    return etree.fromstring(tag.XMLDesc(0)).findtext("backingStore/path")


def leave_member(conn, image, group, vm_id):
    """What a run killed between reserving member <group>-<id> and defining it leaves: its
    host entry (named after it) and its boot overlay."""
    name = "%s-%d" % (group, vm_id)
    host = '<host mac="%s%02x" ip="192.168.122.%d" name="%s"/>' % (MAC_BASE, vm_id, vm_id, name)
    net = conn.networkLookupByName("default")
    net.update(libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST, -1, host,
               libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE | libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG)
    overlay_volume(conn.storagePoolLookupByName(POOL), "virter:work:" + name, top_layer_path(conn, image), 64 << 20)


def test_a_vm_that_does_not_start_is_removed_again(tiny_image, libvirt_conn):
    with socket.socket() as busy:  # QEMU cannot start a VNC server on a port in use
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = run_task(VM, {"name": "vtest-nostart", "image": tiny_image, "virt_type": "qemu", "vnc": True,
                               "vnc_port": busy.getsockname()[1], "vnc_listen": "127.0.0.1", "wait_for": "none"})
    assert result.get("failed") and "start VM vtest-nostart" in result["msg"], result
    assert "Traceback (most recent call last)" not in str(result)
    assert only(libvirt_state(libvirt_conn), "vtest-nostart") == {"domains": [], "volumes": [], "hosts": []}


def test_the_next_run_of_a_group_reclaims_a_killed_creation(tiny_image, libvirt_conn):
    leave_member(libvirt_conn, tiny_image, "vtest-left", 77)
    leave_member(libvirt_conn, tiny_image, "vtest-left", 78)
    task = {"name": "vtest-left", "count": 1, "image": tiny_image, "virt_type": "qemu", "state": "stopped"}
    assert run_task(VM, task)["changed"] is True
    state = only(libvirt_state(libvirt_conn), "vtest-left")
    assert len(state["domains"]) == 1, state
    assert [host[2] for host in state["hosts"]] == state["domains"]
    assert not [vol for vol in state["volumes"] if "-77" in vol or "-78" in vol], state
    assert run_task(VM, task)["changed"] is False
    assert run_task(VM, dict(task, count=0))["changed"] is True
    assert only(libvirt_state(libvirt_conn), "vtest-left") == {"domains": [], "volumes": [], "hosts": []}


def test_removing_a_group_that_never_got_a_domain_reclaims_its_leftovers(tiny_image, libvirt_conn):
    leave_member(libvirt_conn, tiny_image, "vtest-gone", 79)
    task = {"name": "vtest-gone", "count": 2, "state": "absent"}
    assert run_task(VM, task, check=True)["changed"] is True
    assert only(libvirt_state(libvirt_conn), "vtest-gone")["volumes"] == ["virter:work:vtest-gone-79"]
    assert run_task(VM, task)["changed"] is True
    assert only(libvirt_state(libvirt_conn), "vtest-gone") == {"domains": [], "volumes": [], "hosts": []}
    assert run_task(VM, task)["changed"] is False


def test_prune_reclaims_a_work_volume_no_domain_uses(tiny_image, libvirt_conn):
    pool = libvirt_conn.storagePoolLookupByName(POOL)
    overlay_volume(pool, "virter:work:vtest-orphan", top_layer_path(libvirt_conn, tiny_image), 64 << 20)
    kept = run_task("virter.core.virter_layer", {"state": "pruned"})
    assert "virter:work:vtest-orphan" not in kept["removed_work_volumes"], kept
    result = run_task("virter.core.virter_layer", {"state": "pruned", "grace": "0s"})
    assert "virter:work:vtest-orphan" in result["removed_work_volumes"], result
    assert "virter:work:vtest-orphan" not in libvirt_state(libvirt_conn)["volumes"]
    assert "virter:tag:" + tiny_image in libvirt_state(libvirt_conn)["volumes"]
