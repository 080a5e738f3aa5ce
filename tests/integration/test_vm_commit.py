"""Commit a VM to an image (virter_image source: vm)."""
from helpers.ansible_run import four_step, run_task
from helpers.state import libvirt_state

VM = "virter.core.virter_vm"
IMAGE = "virter.core.virter_image"
COMMON = {"virt_type": "qemu", "disk_cache": "unsafe"}


def test_commit_idempotence_and_what_it_removes(tiny_image, libvirt_conn):
    """The mechanics on a VM that never booted (the image_build role test commits a booted,
    provisioned one and boots a VM from the result)."""
    before = libvirt_state(libvirt_conn)
    made = run_task(VM, dict(COMMON, name="vtest-commit-build", image=tiny_image, state="stopped",
                             disks=[{"name": "scratch", "size": "16M"}]))
    assert made["changed"], made
    mac = made["vms"][0]["mac"]
    try:
        results = four_step(IMAGE, {"name": "vtest-committed", "vm": "vtest-commit-build"})
        image = results[1]["image"]
        base_top = run_task(IMAGE, {"name": tiny_image})["image"]["top_layer"]
        assert image["layers"][0] == base_top and len(image["layers"]) == 2
        # The VM, its seed, extra disk and DHCP entry are gone; its overlay is the new layer.
        assert "vtest-commit-build" not in [d.name() for d in libvirt_conn.listAllDomains(0)]
        assert mac not in libvirt_conn.networkLookupByName("default").XMLDesc(0)
        volumes = [v.name() for v in libvirt_conn.storagePoolLookupByName("default").listAllVolumes(0)]
        assert not [v for v in volumes if "vtest-commit-build" in v]
        assert f"virter:layer:{image['top_layer']}" in volumes
    finally:
        run_task(VM, {"name": "vtest-commit-build", "state": "absent"})
        removed = run_task(IMAGE, {"name": "vtest-committed", "state": "absent"})
    assert removed["removed"] == [image["top_layer"]], removed
    assert libvirt_state(libvirt_conn) == before


def test_commit_bad_input(tiny_image, libvirt_conn):
    before = libvirt_state(libvirt_conn)
    during = None
    missing = run_task(IMAGE, {"name": "vtest-commit-x", "vm": "vtest-no-such-vm"})
    assert missing["failed"] and "does not exist" in missing["msg"], missing
    # A VM on an empty disk runs (in its firmware) without booting anything.
    running = run_task(VM, dict(COMMON, name="vtest-commit-run", image=tiny_image, wait_for="none"))
    assert running["changed"] and running["vms"][0]["state"] == "running", running
    try:
        refused = run_task(IMAGE, {"name": "vtest-commit-x", "vm": "vtest-commit-run", "shutdown": False})
        assert refused["failed"] and "needs shutdown: true" in refused["msg"], refused
        both = run_task(IMAGE, {"name": "vtest-commit-x", "vm": "vtest-commit-run", "checksum": "sha256:" + "0" * 64})
        assert both["failed"] and "checksum is not used with source vm" in both["msg"], both
        during = libvirt_state(libvirt_conn)
    finally:
        run_task(VM, {"name": "vtest-commit-run", "state": "absent"})
    # The refused commits left the running VM as it was.
    assert "vtest-commit-run" in during["domains"]
    assert libvirt_state(libvirt_conn) == before
