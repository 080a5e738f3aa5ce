"""virter_vm on existing VMs that are never booted (state stopped): settings that read
back from libvirt in another form stay idempotent, and a changed id or access network
needs (and gets, with recreate) a new VM."""
import pytest
from lxml import etree

from helpers.ansible_run import run_task
from helpers.registry import four_steps
from helpers.state import libvirt_state, only

VM = "virter.core.virter_vm"
BASE = {"name": "vtest-conv", "image": "vtest-tiny", "virt_type": "qemu", "wait_for": "none",
        "state": "stopped"}


@pytest.fixture
def cleanup():
    yield
    run_task(VM, {"name": BASE["name"], "state": "absent"})


def test_read_back_forms_are_idempotent(tiny_image, libvirt_conn, cleanup):
    """disk_cache default (left out of the XML), a memory size that is no whole KiB, and
    an ide disk (a SATA disk on q35, which has no IDE)."""
    args = dict(BASE, disk_cache="default", memory="1500MB", disks=[{"name": "old", "size": "64M", "bus": "ide"}])
    results = four_steps(VM, args)
    assert [r.get("changed") for r in results] == [True, True, False, False], results
    xml = etree.fromstring(libvirt_conn.lookupByName(BASE["name"]).XMLDesc(0))
    target = xml.find("devices/disk/target[@dev='hda']")
    assert target is not None and target.get("bus") == "sata"
    assert xml.find("devices/disk/driver").get("cache") is None


def test_new_id_needs_recreate(tiny_image, libvirt_conn, cleanup):
    assert run_task(VM, dict(BASE, id=41))["changed"]
    before = only(libvirt_state(libvirt_conn), "vtest-conv")
    refused = run_task(VM, dict(BASE, id=42))
    assert refused["failed"] and "differs from the task in id" in refused["msg"], refused
    checked = run_task(VM, dict(BASE, id=42, recreate=True), check=True)
    assert checked["changed"] and not checked.get("failed"), checked
    assert only(libvirt_state(libvirt_conn), "vtest-conv") == before
    done = run_task(VM, dict(BASE, id=42, recreate=True))
    assert done["changed"] and done["vms"][0]["id"] == 42, done
    assert run_task(VM, dict(BASE, id=42, recreate=True))["changed"] is False


def test_drift_on_a_running_vm_in_check_mode(tiny_image, libvirt_conn, cleanup):
    """The tiny image does not boot; QEMU runs all the same, which is all this needs."""
    assert run_task(VM, dict(BASE, state="running", memory="256M"))["changed"]
    before = only(libvirt_state(libvirt_conn), "vtest-conv")
    result = run_task(VM, dict(BASE, state="running", memory="512M"), check=True, diff=True)
    assert result["changed"] and result["reboot_needed"], result
    assert result["diff"]["before"]["vms"][BASE["name"]] == {"state": "running", "memory": 256 * 1024 ** 2}
    assert result["diff"]["after"]["vms"][BASE["name"]] == {"state": "running", "memory": 512 * 1024 ** 2}
    assert only(libvirt_state(libvirt_conn), "vtest-conv") == before
