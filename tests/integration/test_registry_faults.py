"""Transport faults: a registry or web server that drops the connection in the middle
of a blob or a download (a TCP proxy in front of it cuts it). The task fails with a
clear message, leaves the store (and the registry's tag) as it was, and the same task
without the proxy converges."""
import os
import subprocess

import pytest
import requests

from helpers.ansible_run import changed_flags, run_tasks
from helpers.cutting_proxy import CuttingProxy
from helpers.registry import Registry
from helpers.store import qcow2, sha256

IMAGE = "virter.core.virter_image"
POOL = "vtest-faults"
CUT = 1024 * 1024


def noise_qcow2(path, backing=None):
    """A qcow2 of 3 MiB of random data (with `backing`, a digest: as a layer on
    ./virter:layer:<digest>): it does not compress, so a cut after 1 MiB falls inside
    its blob."""
    raw = path.with_suffix(".raw")
    raw.write_bytes(os.urandom(3 * CUT))
    subprocess.run(["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", str(raw), str(path)], check=True)
    if backing:
        subprocess.run(["qemu-img", "rebase", "-q", "-u", "-F", "qcow2", "-b", "./virter:layer:" + backing,
                        str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def noise(tmp_path_factory):
    return noise_qcow2(tmp_path_factory.mktemp("faults") / "noise.qcow2")


def tasks(*steps):
    return run_tasks([(IMAGE, {"pool": POOL, **args}) for args in steps], diff=True)


def assert_clean_failure(result, start, *words):
    """The module's own one-sentence failure, not a crash: a crash reads "Task failed:
    Module failed: <exception>" (ansible-core 2.19 registers `exception` for both)."""
    assert result.get("failed") is True, result
    assert result["msg"].startswith(start) and "module_stderr" not in result, result
    assert all(word in result["msg"] for word in words + ("run the task again",)), result["msg"]


def test_pull_cut_mid_blob(pool, registry, tmp_path):
    reg = Registry(registry)
    base = qcow2(tmp_path / "base.qcow2", 0x33, size="3M")
    reg.image("faults/pull", "1", [base, noise_qcow2(tmp_path / "top.qcow2", sha256(base))])
    blob = reg.manifest("faults/pull", "1")["layers"][1]
    proxy = CuttingProxy(reg.address)
    try:
        proxy.cut(r"GET /v2/faults/pull/blobs/%s " % blob["digest"], CUT)
        failed = tasks({"name": "noise", "ref": f"{proxy.address}/faults/pull:1"})[0]
    finally:
        proxy.close()
    assert proxy.cuts == 1
    assert_clean_failure(failed, "the download of blob %s (layer 1 of %s/faults/pull:1) broke off after "
                         % (blob["digest"], proxy.address),
                         "of %d bytes" % blob["size"])
    assert pool.names() == []  # the base layer it had pulled is gone again
    results = tasks(*[{"name": "noise", "ref": f"{reg.address}/faults/pull:1"}] * 2)
    assert changed_flags(results) == [True, False], results


def test_push_cut_mid_upload(pool, registry, noise):
    reg = Registry(registry)
    proxy = CuttingProxy(reg.address)
    try:
        proxy.cut(r"PATCH /v2/faults/push/blobs/uploads/", CUT, direction="request")
        results = tasks({"name": "noise", "path": str(noise)},
                        {"name": "noise", "push": True, "push_ref": f"{proxy.address}/faults/push:1"})
    finally:
        proxy.close()
    assert proxy.cuts == 1
    assert_clean_failure(results[1], "the upload of the compressed blob of layer %s to registry %s broke off "
                         "after " % (sha256(noise), proxy.address))
    with pytest.raises(requests.HTTPError):
        reg.manifest("faults/push", "1")
    results = tasks(*[{"name": "noise", "push": True, "push_ref": f"{reg.address}/faults/push:1"}] * 2)
    assert changed_flags(results) == [True, False], results


def test_download_cut_mid_file(pool, http_server, noise):
    base, root = http_server
    (root / "faults-noise.qcow2").write_bytes(noise.read_bytes())
    proxy = CuttingProxy(base.split("//", 1)[1])
    url = f"http://{proxy.address}/faults-noise.qcow2"
    try:
        proxy.cut(r"GET /faults-noise.qcow2 ", CUT)
        failed = tasks({"name": "noise", "url": url})[0]
    finally:
        proxy.close()
    assert proxy.cuts == 1
    assert_clean_failure(failed, "the download of %s broke off after " % url,
                         "of %d bytes" % noise.stat().st_size)
    assert pool.names() == []
    results = tasks(*[{"name": "noise", "url": f"{base}/faults-noise.qcow2"}] * 2)
    assert changed_flags(results) == [True, False], results
