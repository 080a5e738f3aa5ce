"""Pure parts of the image store: names, durations, the qcow2 header, volume XML and
the ref-counted removal plan."""
import struct

import pytest

from ansible_collections.virter.core.plugins.module_utils.store import qcow2
from ansible_collections.virter.core.plugins.module_utils._duration import parse_duration
from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput
from ansible_collections.virter.core.plugins.module_utils.store.refcount import BackingGraph
from ansible_collections.virter.core.plugins.module_utils.store.names import (
    import_work_volume,
    is_work_of,
    kind,
    layer_of_backing,
    local_image_name,
    validate_digest,
)
from ansible_collections.virter.core.plugins.module_utils.store.volume_xml import parse_volume, volume_xml

A, B, C = ("sha256:" + ch * 64 for ch in "abc")


@pytest.mark.parametrize("ref, name", [
    ("reg:5000/foo/bar:baz", "foo--bar-baz"),
    ("registry.example.com/foo/bar", "foo--bar-latest"),
    ("localhost/lab/debian:12", "lab--debian-12"),
    ("docker.io/debian:12", "library--debian-12"),
    ("reg.io/foo@sha256:abc", "foo-sha256:abc"),
    ("debian-12", "debian-12"),
    ("provision:latest", "provision:latest"),
    ("foo/bar:baz", "foo/bar:baz"),
])
def test_local_image_name(ref, name):
    assert local_image_name(ref) == name


def test_names():
    assert kind("virter:layer:" + A) == ("layer", A)
    assert kind("virter:tag:provision:latest") == ("tag", "provision:latest")
    assert kind("other.qcow2") == (None, "other.qcow2")
    assert ":" in import_work_volume("vm1", "0123456789ab")[len("virter:work:"):]  # never a VM's volume
    assert layer_of_backing("/pool/./virter:layer:" + A) == "virter:layer:" + A
    assert layer_of_backing("/elsewhere/base.qcow2") is None
    with pytest.raises(InvalidInput):
        validate_digest("sha256:ABC")


@pytest.mark.parametrize("volume, image, work_of", [
    ("virter:work:import:web:0123456789ab", "web", True),
    ("virter:work:save:web:0123456789ab", "web", True),
    ("virter:work:import:web", "web", True),  # an older version's, after the image only
    ("virter:work:save:provision:latest:0123456789ab", "provision:latest", True),
    ("virter:work:import:web-2:0123456789ab", "web", False),
    ("virter:work:import:web:0123456789ab", "web-2", False),
    ("virter:work:web", "web", False),  # a VM's disk (or virter's own pull)
    ("virter-core-lock:image:web", "web", False),
])
def test_work_volumes_of_an_image(volume, image, work_of):
    assert is_work_of(volume, image) is work_of


@pytest.mark.parametrize("text, seconds", [("1h", 3600), ("1h30m", 5400), ("7d", 604800), ("0", 0), ("90s", 90)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "1x", "h", "-1h", "1.5h"])
def test_bad_durations(text):
    with pytest.raises(InvalidInput):
        parse_duration(text)


def _header(backing=b"", version=3):
    head = bytearray(512)
    offset = 200 if backing else 0
    struct.pack_into(">4sIQIIQ", head, 0, qcow2.MAGIC, version, offset, len(backing), 16, 1 << 30)
    head[200:200 + len(backing)] = backing
    return bytes(head)


def test_qcow2_header():
    data = _header(b"./virter:layer:" + A.encode())
    assert qcow2.needed(data[:10]) == 32
    need = qcow2.needed(data[:32])
    header = qcow2.parse(data[:need])
    assert header == qcow2.Header(3, 1 << 30, "./virter:layer:" + A)
    assert qcow2.parse(_header()).backing_file is None


def test_qcow2_rejects():
    with pytest.raises(InvalidInput, match="not a qcow2 file"):
        qcow2.needed(b"\x00" * 64)
    external = bytearray(_header())
    struct.pack_into(">Q", external, 72, 4)
    with pytest.raises(InvalidInput, match="external data file"):
        qcow2.parse(bytes(external))


def test_volume_xml_round_trip():
    xml = volume_xml("virter:tag:x", 1024, "qcow2", A)
    assert "<path>./virter:layer:%s</path>" % A in xml
    listed = xml.replace("<target>", "<target><path>/p/virter:tag:x</path><timestamps>"
                         "<mtime>1795806349.126585055</mtime></timestamps>")
    info = parse_volume(listed)
    assert info.parent == "virter:layer:" + A and info.capacity == 1024
    assert info.mtime_ns == 1795806349126585055


def _graph():
    # tag:a -> layer C -> layer B -> layer A ; tag:b -> layer B ; work:vm -> layer C
    return BackingGraph({
        "virter:layer:" + A: None,
        "virter:layer:" + B: "virter:layer:" + A,
        "virter:layer:" + C: "virter:layer:" + B,
        "virter:tag:a": "virter:layer:" + C,
        "virter:tag:b": "virter:layer:" + B,
        "virter:work:vm": "virter:layer:" + C,
    })


def test_chain_and_dependents():
    graph = _graph()
    assert graph.chain("virter:tag:a") == ["virter:layer:" + C, "virter:layer:" + B, "virter:layer:" + A]
    assert graph.dependents("virter:layer:" + B) == [
        "virter:tag:a", "virter:work:vm", "virter:layer:" + C, "virter:tag:b"]


def test_removal_is_ref_counted():
    graph = _graph()
    # The VM keeps C (and so B and A) alive.
    assert graph.removal(["virter:tag:a"]) == ["virter:tag:a"]
    assert graph.removal(["virter:tag:a", "virter:work:vm"]) == [
        "virter:tag:a", "virter:work:vm", "virter:layer:" + C]
    assert graph.removal(["virter:tag:a", "virter:work:vm", "virter:tag:b"]) == [
        "virter:tag:a", "virter:work:vm", "virter:layer:" + C, "virter:tag:b",
        "virter:layer:" + B, "virter:layer:" + A]
    # keep() stops a chain: B is too young, so A (still used by B) stays too.
    assert graph.removal(["virter:work:vm", "virter:tag:a", "virter:tag:b"],
                         keep=lambda name: name == "virter:layer:" + B)[-1] == "virter:tag:b"
