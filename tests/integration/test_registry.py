"""virter_image push and pull through Debian's docker-registry on 127.0.0.1, with
small layered images in a private dir pool (and the guest image for one round trip).
Several tasks run in one playbook where the steps allow it (ansible-playbook's start
costs more than most of these tasks)."""
import gzip
import subprocess

import pytest

from helpers.ansible_run import changed_flags, four_step, run_tasks
from helpers.registry import OCI_MANIFEST, POOL, POOL_DIR, Registry
from helpers.store import qcow2, sha256

IMAGE = "virter.core.virter_image"
CONFIG_TYPE = "application/vnd.com.linbit.virter.image.v1"
GZIP_TYPE = "application/vnd.com.linbit.virter.layer.v1.qcow2.gzip"
ZSTD_TYPE = "application/vnd.com.linbit.virter.layer.v1.qcow2.zstd"


@pytest.fixture
def reg(registry):
    return Registry(registry)


def tasks(*steps, env=None):
    """Run virter_image once per args dict (real runs) in one playbook."""
    return run_tasks([(IMAGE, {"pool": POOL, **args}) for args in steps], diff=True, env=env)


def removal(*names):
    return [{"name": name, "state": "absent"} for name in names]


@pytest.fixture
def layered(pool, tmp_path):
    """Images `base` (one layer) and `kid` (base + one layer) in the pool -> digests."""
    base = qcow2(tmp_path / "base.qcow2", 0x11)
    base_digest = sha256(base)
    kid = qcow2(tmp_path / "kid.qcow2", 0x22, backing=base_digest, written="1M")
    results = tasks({"name": "base", "path": str(base)}, {"name": "kid", "path": str(kid)})
    assert not any(r.get("failed") for r in results), results
    return {"base": base_digest, "kid": sha256(kid), "files": {"base": base, "kid": kid}}


def test_push_remove_pull_gzip(pool, reg, layered):
    ref = f"{reg.address}/lab/kid:1"
    results = four_step(IMAGE, {"pool": POOL, "name": "kid", "push": True, "push_ref": ref})
    assert results[0]["pushed"] == {"ref": ref, "digest": None}
    pushed = results[1]["pushed"]
    assert pushed["digest"].startswith("sha256:") and results[3]["pushed"] == pushed

    manifest = reg.manifest("lab/kid", "1")
    assert manifest["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert manifest["config"]["mediaType"] == CONFIG_TYPE
    assert [layer["mediaType"] for layer in manifest["layers"]] == [GZIP_TYPE, GZIP_TYPE]
    config = reg.config("lab/kid", "1")
    assert config["rootfs"] == {"type": CONFIG_TYPE + ".rootfs", "diff_ids": [layered["base"], layered["kid"]]}
    # Any gzip reader gets the layer file back.
    assert gzip.decompress(reg.blob("lab/kid", manifest["layers"][1]["digest"])) == \
        layered["files"]["kid"].read_bytes()

    assert changed_flags(tasks(*removal("kid", "base"))) == [True, True]
    assert pool.names() == []

    # The local name comes from the reference by virter's rule.
    results = four_step(IMAGE, {"pool": POOL, "name": ref, "ref": ref})
    layers = [layered["base"], layered["kid"]]
    assert results[0]["image"]["layers"] == layers and results[0]["image"]["top_layer"] == layered["kid"]
    assert results[1]["image"]["name"] == "lab--kid-1" and results[1]["image"]["layers"] == layers
    assert pool.layer_digests() == {f"virter:layer:{d}": d for d in layers}
    assert pool.names() == sorted([f"virter:layer:{d}" for d in layers] + ["virter:tag:lab--kid-1"])
    subprocess.run(["qemu-img", "check", "-q", str(POOL_DIR / "virter:tag:lab--kid-1")], check=True)


def test_shared_base_pulls_only_the_new_layer_and_repush_sends_nothing(pool, reg, layered):
    base_ref, kid_ref = f"{reg.address}/lab/shared:base", f"{reg.address}/lab/shared:kid"
    results = tasks(
        {"name": "base", "push": True, "push_ref": base_ref},  # 1 layer sent
        {"name": "kid", "push": True, "push_ref": base_ref},  # the tag had base: 1 layer sent
        {"name": "kid", "push": True, "push_ref": kid_ref},  # a new tag: 2 layers sent
        {"name": "base", "push": True, "push_ref": base_ref},  # the tag had kid: nothing sent
    )
    assert changed_flags(results) == [True] * 4, results
    assert len(reg.requests("PATCH", "^/v2/lab/shared/")) == 4, reg.requests("PATCH")

    writes = [reg.requests(method) for method in ("POST", "PATCH", "PUT")]
    again = tasks({"name": "kid", "push": True, "push_ref": kid_ref})[0]
    assert again["changed"] is False and again["pushed"] == results[2]["pushed"], again
    assert [reg.requests(method) for method in ("POST", "PATCH", "PUT")] == writes

    layers = reg.manifest("lab/shared", "kid")["layers"]
    results = tasks(*removal("kid", "base"), {"name": "base", "ref": base_ref}, {"name": "kid", "ref": kid_ref})
    assert changed_flags(results) == [True] * 4, results
    assert results[3]["image"]["layers"] == [layered["base"], layered["kid"]]
    # The base blob was fetched by the base pull only; the kid pull got its own layer.
    assert len(reg.requests("GET", "^/v2/lab/shared/blobs/" + layers[0]["digest"])) == 1
    assert len(reg.requests("GET", "^/v2/lab/shared/blobs/" + layers[1]["digest"])) == 1


def test_zstd_round_trip(pool, reg, layered):
    ref = f"{reg.address}/lab/zkid:1"
    zstd = {"pool": POOL, "name": "kid", "push": True, "push_ref": ref, "compression": "zstd"}
    results = four_step(IMAGE, zstd)
    assert [layer["mediaType"] for layer in reg.manifest("lab/zkid", "1")["layers"]] == [ZSTD_TYPE] * 2
    # Another compression is another image: pushed again, both ways.
    results = tasks({"name": "kid", "push": True, "push_ref": ref}, zstd,
                    *removal("kid", "base"), {"name": "kid", "ref": ref})
    assert changed_flags(results) == [True] * 5, results
    assert [layer["mediaType"] for layer in reg.manifest("lab/zkid", "1")["layers"]] == [ZSTD_TYPE] * 2
    assert results[4]["image"]["layers"] == [layered["base"], layered["kid"]]
    assert pool.layer_digests() == {f"virter:layer:{d}": d for d in (layered["base"], layered["kid"])}


def test_guest_image_gzip_round_trip(pool, reg, guest_image_file):
    digest = sha256(guest_image_file)
    ref = f"{reg.address}/lab/debian:12"
    results = tasks({"name": "debian", "path": str(guest_image_file)}, {"name": "debian", "push": True, "push_ref": ref},
                    *removal("debian"), {"name": "debian", "ref": ref})
    assert changed_flags(results) == [True] * 4, results
    assert results[3]["image"]["layers"] == [digest]
    assert pool.layer_digests() == {f"virter:layer:{digest}": digest}


def _failed(result, *words):
    assert result.get("failed") is True, result
    assert "Traceback" not in result["msg"] and all(w in result["msg"] for w in words), result["msg"]


def test_bad_input_fails_and_changes_nothing(pool, reg, layered):
    files = layered["files"]
    addr = reg.address
    tasks({"name": "kid", "push": True, "push_ref": f"{addr}/bad/good:1"}, *removal("kid"))
    before = pool.names()
    assert before == [f"virter:layer:{layered['base']}", "virter:tag:base"]
    # An ordinary container image (OCI config and layer types) is not a VM image.
    reg.image("bad/container", "1", [files["base"]], config_type="application/vnd.oci.image.config.v1+json",
              layer_type="application/vnd.oci.image.layer.v1.tar+gzip", manifest_type=OCI_MANIFEST)
    # A config whose diff id does not match the layer's data.
    reg.image("bad/diffid", "1", [files["base"]], diff_ids=["sha256:" + "0" * 64])
    # A layer that does not lie on the layer below it in the manifest.
    reg.image("bad/order", "1", [files["kid"]])
    # The top layer's blob damaged on the registry's disk (the base layer is local).
    top = reg.manifest("bad/good", "1")["layers"][1]["digest"]
    blob = reg.blob_file(top)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF
    blob.write_bytes(bytes(data))

    cases = [
        ({"name": "x", "ref": f"{addr}/bad/good:nope"}, ["has no image", "bad/good:nope"]),
        ({"name": "x", "ref": f"{addr}/bad/nothing:1"}, ["has no image"]),
        ({"name": "x", "ref": f"{addr}/bad/container:1"}, ["not a virter image", "application/vnd.oci.image.config"]),
        ({"name": "x", "ref": f"{addr}/bad/diffid:1"}, ["does not match", "diff id"]),
        ({"name": "x", "ref": f"{addr}/bad/order:1"}, ["is backed by", "first layer"]),
        ({"name": "x", "ref": f"{addr}/bad/good:1"}, ["corrupt", top]),
        ({"name": "x", "ref": "127.0.0.1:9/bad/good:1"}, ["cannot reach registry 127.0.0.1:9"]),
        ({"name": "x", "ref": f"{addr}/Bad:1"}, ["repository"]),
        ({"name": "x", "ref": "no-registry/x:1"}, ["has no registry host"]),
        ({"name": "nothere", "push": True, "push_ref": f"{addr}/bad/x:1"}, ["does not exist"]),
        ({"name": "base", "push_ref": f"{addr}/bad/x:1"}, ["only with push: true"]),
        ({"name": "x", "ref": f"{addr}/bad/good:1", "checksum": layered["base"]}, ["checksum is not used"]),
    ]
    results = tasks(*(case[0] for case in cases))
    for result, case in zip(results, cases):
        _failed(result, *case[1])
    assert pool.names() == before


def test_credentials(pool, auth_registry, layered, tmp_path):
    addr = auth_registry["address"]
    ref = f"{addr}/lab/secret:1"
    before = pool.names()
    good = {"name": "kid", "push": True, "push_ref": ref, "registry_username": "tester",
            "registry_password": "secret"}
    results = tasks({"name": "kid", "push": True, "push_ref": ref},
                    {**good, "registry_password": "wrong"},
                    {"name": "kid", "ref": ref, "force": True, "registry_username": "tester",
                     "registry_password": "wrong"},
                    good, good)
    _failed(results[0], "asks for credentials")
    _failed(results[1], "refused the credentials")
    _failed(results[2], "refused the credentials")
    assert "wrong" not in str(results[1])
    assert pool.names() == before
    assert changed_flags(results[3:]) == [True, False], results
    # The credentials from podman's auth file (as `podman login` writes it).
    auth = tmp_path / "auth.json"
    auth.write_text('{"auths": {"%s": {"auth": "dGVzdGVyOnNlY3JldA=="}}}' % addr)
    results = tasks(*removal("kid", "base"), {"name": "kid", "ref": ref}, env={"REGISTRY_AUTH_FILE": str(auth)})
    assert changed_flags(results) == [True] * 3, results
