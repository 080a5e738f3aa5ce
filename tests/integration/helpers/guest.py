"""Boot a guest straight through libvirt-python with the core's seed and domain XML
builders: the proof that real VMs run here, independent of the virter_vm module."""
import json
import subprocess
import time
import uuid
from pathlib import Path

import libvirt
from lxml import etree
from lxml.builder import E

from ansible_collections.virter.core.plugins.module_utils import _keys
from ansible_collections.virter.core.plugins.module_utils.vm import cloudinit, domain_xml
from helpers.ssh import run_ssh

POOL = "default"
NETWORK = "default"
_UPDATE = libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE | libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG


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


class Guest:
    """One VM booted from `image_path` with pinned host keys; removed by `destroy`."""

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
        self.key = self.workdir / "id_rsa"
        self.known_hosts = self.workdir / "known_hosts"
        self.volumes = (f"{name}.qcow2", f"{name}-cidata.iso")
        self._host_entry = etree.tostring(E.host(mac=self.mac, ip=self.ip)).decode()

    def boot(self):
        pool = self.conn.storagePoolLookupByName(POOL)
        client_pub = _keys.ensure_key_pair(str(self.key))
        host_keys = _keys.generate_host_keys()
        self.known_hosts.write_text("".join(
            _keys.known_hosts_line([self.ip, self.name], host_keys[kind + "_public"]) + "\n"
            for kind in ("rsa", "ed25519")
        ))
        instance = str(uuid.uuid4())
        seed = cloudinit.seed_iso({
            "meta-data": cloudinit.meta_data(instance, self.name),
            "user-data": cloudinit.user_data(self.name, None, [client_pub], host_keys, user="root"),
        })
        upload_volume(pool, self.volumes[1], seed)
        info = subprocess.run(
            ["qemu-img", "info", "--output=json", self.image_path], capture_output=True, text=True, check=True
        )
        overlay_volume(pool, self.volumes[0], self.image_path, json.loads(info.stdout)["virtual-size"])
        self.conn.networkLookupByName(NETWORK).update(
            libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST, -1,
            self._host_entry, _UPDATE,
        )
        dom = self.conn.defineXML(domain_xml.build({
            "name": self.name, "uuid": instance, "virt_type": "qemu", "arch": "amd64",
            "memory": 1024 ** 3, "vcpus": 1, "user": "root", "host_key": host_keys["rsa_public"],
            "pool": POOL, "boot_volume": self.volumes[0], "seed_volume": self.volumes[1],
            "disk_cache": "unsafe", "mac": self.mac, "network": NETWORK, "console_file": self.console_log,
        }))
        dom.create()

    def ssh(self, command, timeout=20):
        return run_ssh(self.key, self.known_hosts, f"root@{self.ip}", command, options=["ConnectTimeout=2"],
                       timeout=timeout)

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
        for vol_name in self.volumes:
            try:
                pool.storageVolLookupByName(vol_name).delete(0)
            except libvirt.libvirtError:
                pass
        net = self.conn.networkLookupByName(NETWORK)
        if self.mac in net.XMLDesc():
            net.update(
                libvirt.VIR_NETWORK_UPDATE_COMMAND_DELETE, libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST, -1,
                self._host_entry, _UPDATE,
            )
        Path(self.console_log).unlink(missing_ok=True)
