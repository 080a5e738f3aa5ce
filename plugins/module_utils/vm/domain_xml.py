# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Domain XML of a VM, built and read with lxml. Pure: no libvirt calls.

The shape follows virter's, so either tool manages VMs made by the other: the boot
overlay and the NoCloud seed are pool volumes, the seed is a SCSI cdrom on virtio-scsi,
the access NIC comes first, and virter's <metadata> (RSA host key, SSH user) is written
beside the collection's own (group, image, ed25519 host key, and a record of what only a
new VM can change).

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.virter.core.plugins.module_utils._lxml import etree

VIRTER_NS = "https://github.com/LINBIT/virter"
CORE_NS = "https://virter-core/vm/1"
QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"

# virter's architecture names -> (QEMU arch, machine)
ARCHES = {
    "amd64": ("x86_64", "q35"),
    "arm64": ("aarch64", "virt"),
    "ppc64le": ("ppc64", "pseries"),
    "s390x": ("s390x", "s390-ccw-virtio"),
}
_BUS_PREFIX = {"virtio": "vd", "scsi": "sd", "ide": "hd"}
# q35 has no IDE controller; its AHCI (SATA) controller is the bus an IDE disk gets there.
_LIBVIRT_BUS = {"ide": "sata"}


def drive_letters(index):
    """0 -> a, 25 -> z, 26 -> aa, as disk targets are named."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def _sub(parent, tag, text=None, **attrib):
    element = etree.SubElement(parent, tag, {k: str(v) for k, v in attrib.items() if v is not None})
    if text is not None:
        element.text = str(text)
    return element


def _volume_disk(devices, device, pool, volume, fmt, bus, dev, cache, discard=True):
    disk = _sub(devices, "disk", type="volume", device=device)
    _sub(disk, "driver", name="qemu", type=fmt, cache=cache or None, discard="unmap" if discard else None)
    _sub(disk, "source", pool=pool, volume=volume)
    _sub(disk, "target", dev=dev, bus=bus)
    if device == "cdrom":
        _sub(disk, "readonly")
    return disk


def build(spec):
    """The domain XML of `spec` (a dict, see vm.spec) as a string."""
    arch, machine = ARCHES[spec["arch"]]
    domain = etree.Element("domain", type=spec["virt_type"])
    _sub(domain, "name", spec["name"])
    _sub(domain, "uuid", spec["uuid"])

    metadata = _sub(domain, "metadata")
    virter = etree.SubElement(metadata, "{%s}meta" % VIRTER_NS, nsmap={"virter": VIRTER_NS})
    _sub(virter, "{%s}hostkey" % VIRTER_NS, spec["host_key"] + "\n")
    _sub(virter, "{%s}ssh-user-name" % VIRTER_NS, spec["user"])
    core = etree.SubElement(metadata, "{%s}vm" % CORE_NS, nsmap={"virter-core": CORE_NS})
    for key in ("group", "image", "record", "host_key_ed25519"):
        if spec.get(key) is not None:
            _sub(core, "{%s}%s" % (CORE_NS, key), spec[key])

    _sub(domain, "memory", spec["memory"] // 1024, unit="KiB")
    _sub(domain, "vcpu", spec["vcpus"], placement="static")
    os_ = _sub(domain, "os", firmware="efi" if spec.get("secure_boot") or arch == "aarch64" else None)
    _sub(os_, "type", "hvm", arch=arch, machine=machine)
    if spec.get("secure_boot"):
        _sub(os_, "loader", secure="yes")
    _sub(os_, "boot", dev="hd")
    features = _sub(domain, "features")
    _sub(features, "acpi")
    _sub(features, "apic")
    if spec.get("secure_boot"):
        _sub(features, "smm", state="on")
    # host-model needs KVM; under emulation QEMU's `max` CPU has every feature TCG offers.
    _sub(domain, "cpu", mode="host-model" if spec["virt_type"] == "kvm" else "maximum")
    clock = _sub(domain, "clock", offset="utc")
    _sub(clock, "timer", name="rtc", tickpolicy="catchup")
    _sub(clock, "timer", name="pit", tickpolicy="delay")
    _sub(clock, "timer", name="hpet", present="no")
    _sub(domain, "on_poweroff", "destroy")
    _sub(domain, "on_reboot", "restart")
    _sub(domain, "on_crash", "destroy")
    if arch == "x86_64":
        pm = _sub(domain, "pm")
        _sub(pm, "suspend-to-mem", enabled="no")
        _sub(pm, "suspend-to-disk", enabled="no")
    if spec.get("mounts"):
        backing = _sub(domain, "memoryBacking")
        _sub(backing, "source", type="memfd")
        _sub(backing, "access", mode="shared")

    devices = _sub(domain, "devices")
    used = {"vd": 1, "sd": 1, "hd": 0}  # vda = boot disk, sda = seed
    cache = spec.get("disk_cache")
    _volume_disk(devices, "disk", spec["pool"], spec["boot_volume"], "qcow2", "virtio", "vda", cache)
    _volume_disk(devices, "cdrom", spec["pool"], spec["seed_volume"], "raw", "scsi", "sda", cache, discard=False)
    for disk in spec.get("disks", ()):
        prefix = _BUS_PREFIX[disk["bus"]]
        dev = prefix + drive_letters(used[prefix])
        used[prefix] += 1
        bus = _LIBVIRT_BUS.get(disk["bus"], disk["bus"])
        _volume_disk(devices, "disk", disk["pool"], disk["volume"], disk["format"], bus, dev, cache)
    _sub(devices, "controller", type="scsi", index="0", model="virtio-scsi")

    access = _sub(devices, "interface", type="network")
    _sub(access, "mac", address=spec["mac"])
    _sub(access, "source", network=spec["network"])
    _sub(access, "model", type="virtio")
    for nic in spec.get("nics", ()):
        iface = _sub(devices, "interface", type=nic["type"])
        if nic.get("mac"):
            _sub(iface, "mac", address=nic["mac"])
        _sub(iface, "source", **{nic["type"]: nic["source"]})
        _sub(iface, "model", type=nic["model"])

    serial = _sub(devices, "serial", type="pty")
    if spec.get("console_file"):
        _sub(serial, "log", file=spec["console_file"], append="on")
    _sub(serial, "target", port="0")
    console = _sub(devices, "console", type="pty")
    _sub(console, "target", type="serial", port="0")
    if spec.get("vnc_port"):
        _vnc(devices, spec["vnc_port"], spec["vnc_listen"])
    _sub(devices, "memballoon", model="virtio")
    rng = _sub(devices, "rng", model="virtio")
    _sub(rng, "backend", "/dev/urandom", model="random")
    for mount in spec.get("mounts", ()):
        fs = _sub(devices, "filesystem", type="mount", accessmode="passthrough")
        _sub(fs, "driver", type="virtiofs")
        _sub(fs, "source", dir=mount["host"])
        _sub(fs, "target", dir=mount["vm"])
    if spec.get("gdb_port"):
        commandline = etree.SubElement(domain, "{%s}commandline" % QEMU_NS, nsmap={"qemu": QEMU_NS})
        for value in ("-gdb", "tcp::%d" % spec["gdb_port"]):
            _sub(commandline, "{%s}arg" % QEMU_NS, value=value)
    return etree.tostring(domain, pretty_print=True).decode()


def _vnc(devices, port, listen):
    _sub(devices, "graphics", type="vnc", port=port, listen=listen)
    video = _sub(devices, "video")
    _sub(video, "model", type="virtio")


def apply(xml, changes):
    """The persistent XML `xml` with `changes` {field: new value} for the fields a
    defined domain takes at its next boot (memory, vcpus, disk_cache, console_file,
    vnc_port, vnc_listen)."""
    root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    devices = root.find("devices")
    if "memory" in changes:
        for tag in ("memory", "currentMemory"):
            element = root.find(tag)
            if element is not None:
                element.text = str(changes["memory"] // 1024)
                element.set("unit", "KiB")
    if "vcpus" in changes:
        root.find("vcpu").text = str(changes["vcpus"])
    if "disk_cache" in changes:
        for driver in root.findall("devices/disk/driver"):
            if changes["disk_cache"]:
                driver.set("cache", changes["disk_cache"])
            else:
                driver.attrib.pop("cache", None)
    if "console_file" in changes:
        serial = root.find("devices/serial")
        for log in serial.findall("log"):
            serial.remove(log)
        if changes["console_file"]:
            serial.insert(0, etree.Element("log", file=changes["console_file"], append="on"))
    if "vnc_port" in changes or "vnc_listen" in changes:
        for tag in ("graphics", "video"):
            for element in devices.findall(tag):
                devices.remove(element)
        if changes.get("vnc_port"):
            _vnc(devices, changes["vnc_port"], changes.get("vnc_listen"))
    return etree.tostring(root).decode()


def read(xml):
    """What the collection compares of an existing domain (its persistent XML)."""
    root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    virter = root.find("metadata/{%s}meta" % VIRTER_NS)
    core = root.find("metadata/{%s}vm" % CORE_NS)
    interfaces = root.findall("devices/interface")
    access = interfaces[0] if interfaces else None
    serial_log = root.find("devices/serial/log")
    vnc = root.find("devices/graphics[@type='vnc']")
    boot_driver = root.find("devices/disk[@device='disk']/driver")
    memory = root.find("memory")
    return {
        "name": root.findtext("name"),
        "uuid": root.findtext("uuid"),
        "virter": virter is not None,
        "host_key": (virter.findtext("{%s}hostkey" % VIRTER_NS) or "").strip() if virter is not None else None,
        "user": virter.findtext("{%s}ssh-user-name" % VIRTER_NS) if virter is not None else None,
        "group": core.findtext("{%s}group" % CORE_NS) if core is not None else None,
        "image": core.findtext("{%s}image" % CORE_NS) if core is not None else None,
        "record": core.findtext("{%s}record" % CORE_NS) if core is not None else None,
        # Only the collection pins an ed25519 key: a VM virter made has none.
        "host_key_ed25519": core.findtext("{%s}host_key_ed25519" % CORE_NS) if core is not None else None,
        "memory": _kib(memory) * 1024 if memory is not None else None,
        "vcpus": int(root.findtext("vcpu") or 0),
        "mac": access.find("mac").get("address") if access is not None and access.find("mac") is not None else None,
        "network": access.find("source").get("network") if access is not None and access.find("source") is not None else None,
        "disk_cache": boot_driver.get("cache") if boot_driver is not None else None,
        "console_file": serial_log.get("file") if serial_log is not None else None,
        "vnc_port": int(vnc.get("port")) if vnc is not None and vnc.get("port") not in (None, "-1") else None,
        "vnc_listen": vnc.get("listen") if vnc is not None else None,
        "volumes": [(d.get("pool"), d.get("volume")) for d in root.findall("devices/disk/source") if d.get("volume")],
        "files": [d.get("file") for d in root.findall("devices/disk/source") if d.get("file")],
    }


_UNITS = {"b": 1, "bytes": 1, "k": 1024, "kib": 1024, "m": 1024 ** 2, "mib": 1024 ** 2, "g": 1024 ** 3, "gib": 1024 ** 3}


def _kib(element):
    return int(element.text) * _UNITS[(element.get("unit") or "KiB").lower()] // 1024
