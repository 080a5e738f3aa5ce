"""Check mode tells the truth: for every module that changes something, each step of a
scenario runs in check mode and then for real, and both report the same `changed`,
`failed` and `diff` (values only the real run can know are left out by the modules:
new VM ids, MACs and IPs are not part of a diff)."""
from helpers.ansible_run import run_task
from helpers.state import libvirt_state

NETWORK = "virter.core.virter_network"
IMAGE = "virter.core.virter_image"
VM = "virter.core.virter_vm"
NET = "vtest-checknet"


def check_then_real(module, args):
    """Run `args` in check mode, then for real; assert both tell the same; return the real result."""
    predicted = run_task(module, args, check=True, diff=True)
    done = run_task(module, args, diff=True)
    for key in ("changed", "failed", "diff"):
        assert predicted.get(key) == done.get(key), (key, args, predicted, done)
    return done


def test_virter_network():
    base = {"name": NET, "cidr": "192.168.162.1/24", "bridge": "vtest-chk0"}
    try:
        for args in (base, dict(base, domain="check.test"),
                     dict(base, domain="check.test", dhcp_ids={"first": 2, "count": 3}),
                     dict(base, forward_mode="bogus"), {"name": NET, "state": "absent"}):
            check_then_real(NETWORK, args)
    finally:
        run_task(NETWORK, {"name": NET, "state": "absent", "force": True})


def test_virter_image(guest_image_file, tmp_path):
    name = "vtest-checkimg"
    try:
        made = check_then_real(IMAGE, {"name": name, "path": str(guest_image_file)})
        assert made["changed"]
        check_then_real(IMAGE, {"name": name, "path": str(guest_image_file)})
        check_then_real(IMAGE, {"name": name, "source": "local", "save_path": str(tmp_path / "flat.qcow2")})
        check_then_real(IMAGE, {"name": name, "state": "absent"})
    finally:
        run_task(IMAGE, {"name": name, "state": "absent"})


def test_virter_vm(tiny_image, libvirt_conn):
    name = "vtest-checkvm"
    steps = [
        {"name": name, "image": tiny_image, "id": 44, "memory": "256M", "virt_type": "qemu", "state": "stopped"},
        {"name": name, "state": "stopped"},
        {"name": name, "state": "stopped", "memory": "512M", "vcpus": 2},
        {"name": name, "state": "running", "wait_for": "none"},
        {"name": name, "state": "running", "wait_for": "none", "memory": "256M"},
        {"name": name, "state": "running", "wait_for": "none", "disks": [{"name": "new", "size": "1G"}]},
        {"name": name, "state": "absent"},
    ]
    before = libvirt_state(libvirt_conn)
    try:
        for args in steps:
            check_then_real(VM, args)
    finally:
        run_task(VM, {"name": name, "state": "absent"})
    assert libvirt_state(libvirt_conn) == before


def test_virter_vm_group_with_free_ids(tiny_image):
    """Free ids are only known to the real run: names and ids are not compared, the
    changes are."""
    count = 2
    group = {"name": "vtest-checkgrp", "image": tiny_image, "count": count, "virt_type": "qemu", "state": "stopped"}
    try:
        predicted = run_task(VM, group, check=True, diff=True)
        done = run_task(VM, group, diff=True)
        assert predicted["changed"] and done["changed"]
        assert len(predicted["vms"]) == len(done["vms"]) == count
        assert list(predicted["diff"]["after"]["vms"].values()) == list(done["diff"]["after"]["vms"].values())
        check_then_real(VM, dict(group, count=1))
        check_then_real(VM, dict(group, count=0))
    finally:
        run_task(VM, dict(group, count=0))
