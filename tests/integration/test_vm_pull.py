"""virter_vm with a registry reference as image: pull_policy Never, IfNotExist and Always,
with a small one-layer image (not bootable: QEMU runs it in its firmware)."""
import pytest

from helpers.ansible_run import changed_flags, run_task, run_tasks
from helpers.registry import Registry
from helpers.state import libvirt_state, only
from helpers.store import qcow2, sha256

VM = "virter.core.virter_vm"
PREFIX = "vtest-vmpull"
LOCAL = PREFIX + "--tiny-1"  # the local name of <registry>/vtest-vmpull/tiny:1
COMMON = {"virt_type": "qemu", "disk_cache": "unsafe", "wait_for": "none"}


@pytest.fixture
def pushed(registry, tmp_path):
    """The image in the registry -> (registry, ref, layer digest); the VMs and the local
    image are removed afterwards."""
    reg = Registry(registry)
    layer = qcow2(tmp_path / "tiny.qcow2", 0x5e, size="32M")
    reg.image(PREFIX + "/tiny", "1", [layer])
    yield reg, f"{reg.address}/{PREFIX}/tiny:1", sha256(layer)
    run_tasks([(VM, {"name": vm, "state": "absent"}) for vm in (PREFIX, PREFIX + "-always")], diff=True)
    run_task("virter.core.virter_image", {"name": LOCAL, "state": "absent"})


def _state(conn, digest):
    state = libvirt_state(conn)
    return only(state, PREFIX), "virter:layer:" + digest in state["volumes"]


def test_pull_policies(pushed, libvirt_conn):
    reg, ref, digest = pushed
    manifest = reg.manifest(PREFIX + "/tiny", "1")
    paths = ["manifests/", "blobs/" + manifest["config"]["digest"], "blobs/" + manifest["layers"][0]["digest"]]

    def gets():
        """(manifest, config, layer) reads from the registry so far."""
        return tuple(len(reg.requests("GET", f"^/v2/{PREFIX}/tiny/" + path)) for path in paths)

    before = _state(libvirt_conn, digest)
    assert before[0]["volumes"] == [] and not before[1], before
    reads = gets()

    # Never fails on a missing image; check mode reads the manifest and config only.
    args = dict(COMMON, name=PREFIX, image=ref)
    never, check = run_tasks([(VM, dict(args, pull_policy="Never")), (VM, args, True)], diff=True)
    assert never.get("failed") and "pull_policy is Never" in never["msg"] and LOCAL in never["msg"], never
    assert check["changed"] and not check.get("failed"), check
    assert _state(libvirt_conn, digest) == before
    assert gets() == (reads[0] + 1, reads[1] + 1, reads[2])

    # IfNotExist pulls and creates the VM, then changes nothing; Always pulls again for
    # a new VM but fetches no layer it has.
    always = dict(COMMON, name=PREFIX + "-always", image=ref, pull_policy="Always", state="stopped")
    results = run_tasks([(VM, args), (VM, args), (VM, always)], diff=True)
    assert changed_flags(results) == [True, False, True], results
    assert [vm["state"] for vm in results[0]["vms"]] == ["running"], results[0]
    assert [vm["state"] for vm in results[2]["vms"]] == ["stopped"], results[2]
    assert gets() == (reads[0] + 3, reads[1] + 3, reads[2] + 1)
    ours, has_layer = _state(libvirt_conn, digest)
    assert "virter:tag:" + LOCAL in ours["volumes"] and has_layer, ours
    image = run_task("virter.core.virter_image_info", {"name": LOCAL})
    assert [i["layers"] for i in image["images"]] == [[digest]], image

    gone = run_tasks([(VM, {"name": vm, "state": "absent"}) for vm in (PREFIX, PREFIX + "-always")], diff=True)
    assert changed_flags(gone) == [True, True], gone
    assert run_task("virter.core.virter_image", {"name": LOCAL, "state": "absent"})["changed"]
    assert _state(libvirt_conn, digest) == before
