"""Boot a guest straight through libvirt-python: the proof that real VMs run here.

This is test equipment, independent of the collection's modules, so that a failure here
points at the environment (sandbox, image, QEMU), not at the code under test.
"""
import io
import json
import subprocess
import time
import uuid
from pathlib import Path

import libvirt
import pycdlib
from lxml import etree
from lxml.builder import E

POOL = "default"
NETWORK = "default"


def ssh_keygen(path, kind="ed25519"):
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "", "-f", str(path)], check=True)
    return Path(path).read_text(), Path(f"{path}.pub").read_text().strip()


def nocloud_iso(meta_data, user_data):
    """A NoCloud seed: an ISO 9660 volume labelled `cidata` with Rock Ridge names."""
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, vol_ident="cidata", rock_ridge="1.09", joliet=3)
    for name, text in (("meta-data", meta_data), ("user-data", user_data)):
        data = text.encode()
        iso_name = "/" + name.replace("-", "").upper() + ".;1"
        iso.add_fp(io.BytesIO(data), len(data), iso_name, rr_name=name, joliet_path="/" + name)
    out = io.BytesIO()
    iso.write_fp(out)
    iso.close()
    return out.getvalue()


def upload_volume(pool, name, data, fmt="raw"):
    xml = E.volume(E.name(name), E.capacity(str(len(data)), unit="bytes"), E.target(E.format(type=fmt)))
    vol = pool.createXML(etree.tostring(xml).decode(), 0)
    stream = pool.connect().newStream(0)
    vol.upload(stream, 0, len(data), 0)
    stream.send(data)
    stream.finish()
    return vol


def overlay_volume(pool, name, backing_path, capacity):
    xml = E.volume(
        E.name(name),
        E.capacity(str(capacity), unit="bytes"),
        E.target(E.format(type="qcow2")),
        E.backingStore(E.path(backing_path), E.format(type="qcow2")),
    )
    return pool.createXML(etree.tostring(xml).decode(), 0)


def domain_xml(name, disk_path, iso_path, mac, console_log):
    return etree.tostring(
        E.domain(
            E.name(name),
            E.memory("1048576", unit="KiB"),
            E.vcpu("1"),
            E.os(E.type("hvm", machine="q35")),
            E.features(E.acpi()),
            E.on_poweroff("destroy"),
            E.devices(
                E.disk(
                    E.driver(name="qemu", type="qcow2", cache="unsafe"),
                    E.source(file=disk_path),
                    E.target(dev="vda", bus="virtio"),
                    type="file",
                    device="disk",
                ),
                # The cloud kernel has no SATA driver: the seed is a SCSI cdrom on virtio-scsi.
                E.controller(type="scsi", model="virtio-scsi", index="0"),
                E.disk(
                    E.driver(name="qemu", type="raw"),
                    E.source(file=iso_path),
                    E.target(dev="sda", bus="scsi"),
                    E.readonly(),
                    type="file",
                    device="cdrom",
                ),
                E.interface(E.mac(address=mac), E.source(network=NETWORK), E.model(type="virtio"), type="network"),
                E.serial(E.target(port="0"), E.log(file=console_log), type="pty"),
                E.console(E.target(type="serial", port="0"), type="pty"),
                E.rng(E.backend("/dev/urandom", model="random"), model="virtio"),
            ),
            type="qemu",
        )
    ).decode()


class Guest:
    """One VM booted from `image_path` with a pinned ed25519 host key; removed by `destroy`."""

    def __init__(self, conn, workdir, name, vm_id, image_path):
        self.conn = conn
        self.workdir = Path(workdir)
        self.name = name
        self.mac = "52:54:00:00:00:%02x" % vm_id
        net = conn.networkLookupByName(NETWORK)
        host_ip = etree.fromstring(net.XMLDesc()).find("ip").get("address")
        self.ip = host_ip.rsplit(".", 1)[0] + ".%d" % vm_id
        self.image_path = image_path
        self.console_log = f"/var/log/libvirt/qemu/{name}-console.log"
        self.key = self.workdir / "id_ed25519"
        self.known_hosts = self.workdir / "known_hosts"
        self.uuid = str(uuid.uuid4())
        self._host_entry = etree.tostring(E.host(mac=self.mac, ip=self.ip)).decode()

    def boot(self):
        pool = self.conn.storagePoolLookupByName(POOL)
        client_pub = ssh_keygen(self.key)[1]
        host_priv, host_pub = ssh_keygen(self.workdir / "ssh_host_ed25519_key")
        self.known_hosts.write_text(f"{self.ip} {host_pub}\n")
        user_data = "#cloud-config\n" + _yaml(
            {
                "users": [],
                "disable_root": False,
                "ssh_authorized_keys": [client_pub],
                "ssh_deletekeys": True,
                "ssh_keys": {"ed25519_private": host_priv, "ed25519_public": host_pub},
            }
        )
        meta_data = _yaml({"instance-id": self.uuid, "local-hostname": self.name})
        iso = upload_volume(pool, f"{self.name}-cidata.iso", nocloud_iso(meta_data, user_data))
        info = subprocess.run(
            ["qemu-img", "info", "--output=json", self.image_path], capture_output=True, text=True, check=True
        )
        capacity = json.loads(info.stdout)["virtual-size"]
        disk = overlay_volume(pool, f"{self.name}.qcow2", self.image_path, capacity)
        net = self.conn.networkLookupByName(NETWORK)
        net.update(
            libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
            libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST,
            -1,
            self._host_entry,
            libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE | libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG,
        )
        dom = self.conn.defineXML(domain_xml(self.name, disk.path(), iso.path(), self.mac, self.console_log))
        dom.create()

    def ssh(self, command, timeout=20):
        return subprocess.run(
            [
                "ssh", "-i", str(self.key),
                "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=yes",
                "-o", f"UserKnownHostsFile={self.known_hosts}",
                "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", "ConnectTimeout=2",
                f"root@{self.ip}", command,
            ],
            capture_output=True, text=True, timeout=timeout, check=False,
        )

    def wait_ready(self, timeout=400):
        """Until SSH login with the pinned host key works and cloud-init has finished."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = self.ssh("test -e /run/cloud-init/result.json")
                if last.returncode == 0:
                    return
            except subprocess.TimeoutExpired:
                pass
            time.sleep(1)
        raise AssertionError(
            f"{self.name} not ready after {timeout}s; last ssh: {last and last.stderr}\n"
            f"console tail:\n{self.console_tail()}"
        )

    def console_tail(self, lines=40):
        try:
            return "\n".join(Path(self.console_log).read_text(errors="replace").splitlines()[-lines:])
        except OSError as exc:
            return f"(no console log: {exc})"

    def destroy(self):
        try:
            dom = self.conn.lookupByName(self.name)
        except libvirt.libvirtError:
            dom = None
        if dom is not None:
            if dom.isActive():
                dom.destroy()
            dom.undefine()
        pool = self.conn.storagePoolLookupByName(POOL)
        for vol_name in (f"{self.name}.qcow2", f"{self.name}-cidata.iso"):
            try:
                pool.storageVolLookupByName(vol_name).delete(0)
            except libvirt.libvirtError:
                pass
        net = self.conn.networkLookupByName(NETWORK)
        if self.mac in net.XMLDesc():
            net.update(
                libvirt.VIR_NETWORK_UPDATE_COMMAND_DELETE,
                libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST,
                -1,
                self._host_entry,
                libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE | libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG,
            )
        Path(self.console_log).unlink(missing_ok=True)


def _yaml(data):
    import yaml

    return yaml.safe_dump(data, default_flow_style=False, sort_keys=False)
