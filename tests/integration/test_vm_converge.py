"""virter_vm and virter_vm_info on VMs whose disk holds no OS (QEMU runs, nothing boots):
settings that read back from libvirt in another form stay idempotent, a changed id needs
(and gets, with recreate) a new VM, and waiting, stopping and listing behave when the
guest never answers."""
import pytest
from lxml import etree

from helpers.ansible_run import four_step, run_task
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
    four_step(VM, args)
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


def test_info_lists_the_vm_as_virter_vm_returned_it(tiny_image, cleanup):
    made = run_task(VM, dict(BASE, id=43))
    found = run_task("virter.core.virter_vm_info", {"name": BASE["name"]})
    assert found["changed"] is False and found["vms"] == made["vms"], (found, made)
    assert run_task("virter.core.virter_vm_info", {"name": "vtest-conv-none"})["vms"] == []


def test_wait_timeout_names_the_vm_and_shows_its_console(tiny_image, tmp_path, cleanup):
    args = dict(BASE, state="running", wait_for="ssh", wait_timeout=5, console_dir=str(tmp_path / "consoles"))
    result = run_task(VM, args)
    assert result["failed"] and "vtest-conv not answering on SSH after 5s" in result["msg"], result
    assert result["not_ready"][BASE["name"]]["last_error"], result
    log = tmp_path / "consoles" / "vtest-conv.log"
    assert log.exists()
    # The tiny image writes nothing to its console: lines written there now must end the
    # tail of the next wait.
    lines = ["console line %d" % n for n in range(3)]
    with log.open("a") as console:
        console.write("".join(line + "\n" for line in lines))
    again = run_task(VM, args)
    assert again["failed"] and again["not_ready"][BASE["name"]]["console_tail"][-3:] == lines, again


def test_stop_falls_back_to_a_hard_stop(tiny_image, cleanup):
    """Nothing in the VM answers ACPI: after shutdown_timeout the VM is stopped hard."""
    assert run_task(VM, dict(BASE, state="running"))["changed"]
    stopped = run_task(VM, dict(BASE, state="stopped", shutdown_timeout=2))
    assert stopped["changed"] and stopped["vms"][0]["state"] == "stopped", stopped
