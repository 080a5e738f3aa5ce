"""The store's libvirt stream path (the one a remote URI takes), in process, against
the same private pool: import, save and commit without touching the pool directory."""
import subprocess

import pytest

from helpers.store import POOL, POOL_DIR, qcow2, sha256


def _service(conn, tmp_path, local_io):
    from ansible_collections.virter.core.plugins.module_utils.image.service import ImageService

    return ImageService(conn, POOL, tmpdir=str(tmp_path), local_io=local_io)


def _params(**kw):
    params = dict(name=None, state="present", source=None, url=None, checksum=None, path=None,
                  force=False, save_path=None, ref=None, push=False, push_ref=None, vm=None)
    params.update(kw)
    return params


@pytest.mark.parametrize("local_io", [False, True], ids=["streams", "local-dir"])
def test_import_save_commit(pool, libvirt_conn, tmp_path, local_io):
    base = qcow2(tmp_path / "base.qcow2", 0x0A)
    digest = sha256(base)
    result = _service(libvirt_conn, tmp_path, local_io).present(_params(name="base", path=str(base)))
    assert result["changed"] and result["image"]["layers"] == [digest]
    assert sha256(POOL_DIR / f"virter:layer:{digest}") == digest
    assert pool.names() == [f"virter:layer:{digest}", "virter:tag:base"]

    saved = tmp_path / "saved.qcow2"
    result = _service(libvirt_conn, tmp_path, local_io).present(_params(name="base", save_path=str(saved)))
    assert result["changed"] is True
    subprocess.run(["qemu-img", "compare", "-q", str(base), str(saved)], check=True)
    assert "virter:work:save:base" not in pool.names()

    # Commit: a VM's overlay on the image becomes a layer backed by it.
    service = _service(libvirt_conn, tmp_path, local_io)
    pool.add_overlay("virter:work:vm", digest)
    subprocess.run(["qemu-io", "-f", "qcow2", "-c", "write -P 0x0b 0 64k", "./virter:work:vm"],
                   check=True, cwd=POOL_DIR, stdout=subprocess.DEVNULL)
    expected = sha256(POOL_DIR / "virter:work:vm")
    service.store.refresh()
    assert service.importer.commit("virter:work:vm") == expected
    # The overlay stays until a tag holds the layer (a run killed before commits again).
    assert "virter:work:vm" in pool.names()
    service.store.make_tag("built", expected)
    service.store.delete(["virter:work:vm"])
    assert service.store.image("built")["layers"] == [digest, expected]
    assert sha256(POOL_DIR / f"virter:layer:{expected}") == expected
    assert "virter:work:vm" not in pool.names()
