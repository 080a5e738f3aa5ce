"""The pure parts of registry push and pull: references, virter's manifest and config,
gzip members and the zstd codec."""
import gzip
import io
import json
import os
import subprocess

import pytest

from ansible_collections.virter.core.plugins.module_utils.store import codecs
from ansible_collections.virter.core.plugins.module_utils.store import gzip_members
from ansible_collections.virter.core.plugins.module_utils.registry import oci
from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput
from ansible_collections.virter.core.plugins.module_utils.registry.reference import parse_reference

A, B = ("sha256:" + ch * 64 for ch in "ab")


@pytest.mark.parametrize("text, registry, repository, tag, digest, local", [
    ("localhost:5000/lab/debian:12", "localhost:5000", "lab/debian", "12", None, True),
    ("127.0.0.1:5000/x", "127.0.0.1:5000", "x", "latest", None, True),
    ("[::1]:5000/x:1", "[::1]:5000", "x", "1", None, True),
    ("reg.example.com/a/b@" + A, "reg.example.com", "a/b", None, A, False),
    ("docker.io/debian:12", "registry-1.docker.io", "library/debian", "12", None, False),
    ("localhost/a__b/c-d.e:v1.0_x", "localhost", "a__b/c-d.e", "v1.0_x", None, True),
])
def test_references(text, registry, repository, tag, digest, local):
    ref = parse_reference(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest, ref.is_local()) == (
        registry, repository, tag, digest, local)
    assert ref.reference == (digest or tag)


def test_reference_text():
    assert "%s" % parse_reference("localhost:5000/a") == "localhost:5000/a:latest"
    assert str(parse_reference("reg.io/a@" + A)) == "reg.io/a@" + A


@pytest.mark.parametrize("text, words", [
    ("debian-12", "no registry host"),
    ("lab/debian:12", "no registry host"),
    ("localhost:5000/Lab:1", "repository"),
    ("localhost:5000/a//b", "repository"),
    ("localhost:5000/a:b:c", "repository"),
    ("localhost:5000/a:-x", "not a valid tag"),
    ("localhost:5000/a@sha256:abc", "digest"),
    ("bad_host:5000/a", "registry host"),
])
def test_bad_references(text, words):
    with pytest.raises(InvalidInput, match=words):
        parse_reference(text)


def _manifest(config_type=oci.CONFIG_TYPE, layer_type=oci.LAYER_TYPES["gzip"], media_type=oci.DOCKER_MANIFEST):
    config = oci.Descriptor(config_type, A, 10)
    return oci.manifest_blob(config, [oci.Descriptor(layer_type, B, 20)]).replace(
        oci.DOCKER_MANIFEST.encode(), media_type.encode())


def test_manifest_and_config_round_trip():
    config, layers = oci.parse_manifest(_manifest(), None, "r")
    assert config == oci.Descriptor(oci.CONFIG_TYPE, A, 10)
    assert layers == [oci.Descriptor(oci.LAYER_TYPES["gzip"], B, 20)]
    blob = oci.config_blob([A, B])
    assert json.loads(blob)["rootfs"] == {"type": oci.ROOTFS_TYPE, "diff_ids": [A, B]}
    assert blob == oci.config_blob([A, B])  # the same bytes, the same digest
    assert oci.parse_config(blob, 2, "r") == [A, B]
    # OCI manifests with virter's types are read too (zstd layers as well).
    oci.parse_manifest(_manifest(layer_type=oci.LAYER_TYPES["zstd"], media_type=oci.OCI_MANIFEST), None, "r")


@pytest.mark.parametrize("body, words", [
    (_manifest(config_type="application/vnd.oci.image.config.v1+json"), "not a virter image"),
    (_manifest(layer_type="application/vnd.oci.image.layer.v1.tar+gzip"), "media type"),
    (_manifest(media_type="application/vnd.oci.image.index.v1+json"), "index"),
    (b"[]", "not a JSON object"),
    (b"\xff", "not JSON"),
    (_manifest().replace(B.encode(), b"md5:x"), "only sha256"),
])
def test_foreign_manifests(body, words):
    with pytest.raises(InvalidInput, match=words):
        oci.parse_manifest(body, None, "r")


@pytest.mark.parametrize("config, count, words", [
    ({"rootfs": {"diff_ids": [A]}}, 2, "1 diff ids for 2 layers"),
    ({"rootfs": {"diff_ids": ["sha256:x"]}}, 1, "invalid diff id"),
    ({}, 1, "no rootfs.diff_ids"),
])
def test_bad_configs(config, count, words):
    with pytest.raises(InvalidInput, match=words):
        oci.parse_config(json.dumps(config).encode(), count, "r")


def test_already_pushed():
    gz = [oci.Descriptor(oci.LAYER_TYPES["gzip"], B, 1)] * 2
    assert oci.already_pushed([A, B], gz, [A, B], "gzip")
    assert not oci.already_pushed([A, B], gz, [A, B], "zstd")
    assert not oci.already_pushed([A], gz[:1], [A, B], "gzip")


def _read_all(reader):
    parts = []
    while True:
        chunk = reader.read(1 << 20)
        if not chunk:
            return b"".join(parts)
        assert len(chunk) <= 1 << 20
        parts.append(chunk)


DATA = os.urandom(300000) * 20 + b"\0" * (9 << 20) + b"end"


def test_gzip_members_do_not_depend_on_threads_and_any_reader_reads_them():
    blobs = {b"".join(gzip_members.compress(io.BytesIO(DATA).read, threads, member_size=2 << 20))
             for threads in (1, 2, 5)}
    assert len(blobs) == 1
    blob = blobs.pop()
    assert gzip.decompress(blob) == DATA
    assert subprocess.run(["gzip", "-dc"], input=blob, capture_output=True, check=True).stdout == DATA
    assert _read_all(gzip_members.GzipReader(io.BytesIO(blob).read, 65536)) == DATA
    # A single-member stream (as virter writes) reads the same.
    assert _read_all(gzip_members.GzipReader(io.BytesIO(gzip.compress(DATA, 1)).read, 65536)) == DATA


@pytest.mark.parametrize("cut, words", [(-4, "truncated"), (0.5, "truncated"), (None, "empty")])
def test_gzip_reader_damage(cut, words):
    blob = b"".join(gzip_members.compress(io.BytesIO(DATA).read, 2, member_size=2 << 20))
    data = b"" if cut is None else blob[:int(len(blob) * cut) if isinstance(cut, float) else cut]
    with pytest.raises(InvalidInput, match=words):
        _read_all(gzip_members.GzipReader(io.BytesIO(data).read, 65536))


def test_gzip_reader_garbage():
    with pytest.raises(InvalidInput, match="not valid gzip"):
        _read_all(gzip_members.GzipReader(io.BytesIO(b"this is no gzip").read, 65536))


def test_zstd_round_trip(monkeypatch):
    blobs = set()
    for threads in (1, 3):
        monkeypatch.setattr(codecs, "threads", lambda n=threads: n)
        blobs.add(b"".join(codecs.compress("zstd", io.BytesIO(DATA).read)))
        source = io.BytesIO(DATA)
        blobs.add(b"".join(codecs.compress("zstd", lambda size, src=source: src.read(min(size, 777777)))))
    assert len(blobs) == 1
    blob = blobs.pop()
    assert _read_all(codecs.decompressed_reader("zstd", io.BytesIO(blob).read)) == DATA
    with pytest.raises(InvalidInput, match="not valid zstd"):
        _read_all(codecs.decompressed_reader("zstd", io.BytesIO(b"garbage!" * 10).read))
    with pytest.raises(InvalidInput, match="empty"):
        _read_all(codecs.decompressed_reader("zstd", io.BytesIO(b"").read))
