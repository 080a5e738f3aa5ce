import libvirt
import pytest
from lxml import etree

from ansible_collections.virter.core.plugins.module_utils.vm import domain_xml

SPEC = {
    "name": "vm1", "uuid": "6f1f7f2c-1d5e-4c1b-9a43-0d1f5a3c2b10", "virt_type": "qemu", "arch": "amd64",
    "memory": 1024 ** 3, "vcpus": 2, "user": "root", "host_key": "ssh-rsa AAAA", "host_key_ed25519": "ssh-ed25519 BBBB",
    "group": "lab", "image": "debian-12", "record": "{\"image\": \"debian-12\"}",
    "pool": "default", "boot_volume": "virter:work:vm1", "seed_volume": "virter:work:vm1-cidata",
    "disk_cache": "unsafe", "mac": "52:54:00:00:00:05", "network": "default",
}


def parse(spec):
    return etree.fromstring(domain_xml.build(spec).encode())


@pytest.mark.parametrize("index,letters", [(0, "a"), (1, "b"), (25, "z"), (26, "aa"), (27, "ab"), (701, "zz"), (702, "aaa")])
def test_drive_letters(index, letters):
    assert domain_xml.drive_letters(index) == letters


def test_build_has_virters_shape():
    root = parse(SPEC)
    assert root.get("type") == "qemu"
    assert root.find("os/type").attrib == {"arch": "x86_64", "machine": "q35"}
    assert root.find("cpu").get("mode") == "maximum"
    assert root.find("memory").text == str(1024 ** 2) and root.find("memory").get("unit") == "KiB"
    boot, seed = root.findall("devices/disk")
    assert boot.find("source").attrib == {"pool": "default", "volume": "virter:work:vm1"}
    assert boot.find("target").attrib == {"dev": "vda", "bus": "virtio"}
    assert boot.find("driver").get("discard") == "unmap"
    assert seed.get("device") == "cdrom"
    assert seed.find("target").attrib == {"dev": "sda", "bus": "scsi"}
    assert root.find("devices/controller[@type='scsi']").get("model") == "virtio-scsi"
    nic = root.find("devices/interface")
    assert nic.find("mac").get("address") == "52:54:00:00:00:05"
    assert nic.find("source").get("network") == "default"


def test_kvm_uses_host_model():
    assert parse(dict(SPEC, virt_type="kvm")).find("cpu").get("mode") == "host-model"


def test_extra_disks_take_letters_per_bus():
    disks = [
        {"pool": "default", "volume": "virter:work:vm1-a", "format": "qcow2", "bus": "virtio"},
        {"pool": "default", "volume": "virter:work:vm1-b", "format": "raw", "bus": "scsi"},
        {"pool": "other", "volume": "virter:work:vm1-c", "format": "raw", "bus": "ide"},
        {"pool": "default", "volume": "virter:work:vm1-d", "format": "qcow2", "bus": "virtio"},
    ]
    targets = [d.find("target") for d in parse(dict(SPEC, disks=disks)).findall("devices/disk")]
    assert [t.get("dev") for t in targets] == ["vda", "sda", "vdb", "sdb", "hda", "vdc"]
    # q35 has no IDE controller: an ide disk is a SATA disk there
    assert [t.get("bus") for t in targets] == ["virtio", "scsi", "virtio", "scsi", "sata", "virtio"]


def test_optional_devices():
    spec = dict(SPEC, console_file="/var/log/vm1.log", vnc_port=6005, vnc_listen="127.0.0.1", gdb_port=1234,
                mounts=[{"host": "/srv", "vm": "/mnt"}],
                nics=[{"type": "bridge", "source": "br0", "model": "e1000", "mac": "52:54:00:aa:00:01"}])
    root = parse(spec)
    assert root.find("devices/serial/log").attrib == {"file": "/var/log/vm1.log", "append": "on"}
    assert root.find("devices/graphics").attrib == {"type": "vnc", "port": "6005", "listen": "127.0.0.1"}
    args = root.findall("{%s}commandline/{%s}arg" % (domain_xml.QEMU_NS, domain_xml.QEMU_NS))
    assert [a.get("value") for a in args] == ["-gdb", "tcp::1234"]
    assert root.find("memoryBacking/access").get("mode") == "shared"
    assert root.find("devices/filesystem/target").get("dir") == "/mnt"
    extra = root.findall("devices/interface")[1]
    assert extra.get("type") == "bridge" and extra.find("source").get("bridge") == "br0"


def test_read_round_trips_what_build_wrote():
    spec = dict(SPEC, console_file="/var/log/vm1.log", vnc_port=6005, vnc_listen="127.0.0.1")
    seen = domain_xml.read(domain_xml.build(spec))
    for key in ("name", "uuid", "user", "group", "image", "record", "host_key_ed25519", "memory", "vcpus", "mac",
                "network", "disk_cache", "console_file", "vnc_port", "vnc_listen"):
        assert seen[key] == spec[key], key
    assert seen["host_key"] == "ssh-rsa AAAA"
    assert seen["virter"] is True
    assert seen["volumes"] == [("default", "virter:work:vm1"), ("default", "virter:work:vm1-cidata")]


def test_the_ed25519_host_key_is_the_collections_own_metadata():
    """virter's metadata keeps the RSA key only; a VM virter made has no ed25519 key."""
    xml = parse(SPEC)
    virter = xml.find("metadata/{%s}meta" % domain_xml.VIRTER_NS)
    core = xml.find("metadata/{%s}vm" % domain_xml.CORE_NS)
    assert "ssh-ed25519" not in etree.tostring(virter).decode()
    assert core.findtext("{%s}host_key_ed25519" % domain_xml.CORE_NS) == "ssh-ed25519 BBBB"
    assert domain_xml.read(domain_xml.build(dict(SPEC, host_key_ed25519=None)))["host_key_ed25519"] is None


def test_read_domain_without_metadata():
    seen = domain_xml.read("<domain type='kvm'><name>other</name><memory unit='MiB'>512</memory><vcpu>1</vcpu></domain>")
    assert seen["virter"] is False and seen["user"] is None and seen["group"] is None
    assert seen["host_key_ed25519"] is None
    assert seen["memory"] == 512 * 1024 ** 2


def test_libvirt_accepts_the_xml_and_keeps_both_metadata_blocks():
    conn = libvirt.open("test:///default")
    try:
        spec = dict(SPEC, virt_type="test", pool="default-pool")
        dom = conn.defineXML(domain_xml.build(spec))
        seen = domain_xml.read(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
        assert (seen["user"], seen["host_key"], seen["group"], seen["image"]) == ("root", "ssh-rsa AAAA", "lab", "debian-12")
        assert dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, domain_xml.VIRTER_NS).count("ssh-rsa AAAA") == 1
        assert seen["host_key_ed25519"] == "ssh-ed25519 BBBB"
    finally:
        conn.close()


def test_apply_changes_what_takes_effect_at_next_boot():
    xml = domain_xml.build(dict(SPEC, console_file="/var/log/a.log"))
    changed = domain_xml.apply(xml, {"memory": 2 * 1024 ** 3, "vcpus": 4, "disk_cache": None,
                                     "console_file": "/var/log/b.log", "vnc_port": 5905, "vnc_listen": "0.0.0.0"})
    seen = domain_xml.read(changed)
    assert (seen["memory"], seen["vcpus"], seen["disk_cache"]) == (2 * 1024 ** 3, 4, None)
    assert (seen["console_file"], seen["vnc_port"], seen["vnc_listen"]) == ("/var/log/b.log", 5905, "0.0.0.0")
    removed = domain_xml.read(domain_xml.apply(changed, {"vnc_port": None, "vnc_listen": None, "console_file": None}))
    assert (removed["vnc_port"], removed["console_file"]) == (None, None)
    assert etree.fromstring(domain_xml.apply(changed, {"vnc_port": None}).encode()).find("devices/video") is None
