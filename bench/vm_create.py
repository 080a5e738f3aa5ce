"""Benchmark of VM creation, not a test: tool time from task start to every
domain running (guest boot excluded) and bytes written per VM, for 1, 4 and 8 VMs in one
task, as separate tasks and as a lab of different VMs, side by side in one run with:

- floor: in process with libvirt-python on one open connection (overlay volume, pycdlib
  seed ISO uploaded, define, start); "one task" = one thread per VM, "separate" = one
  VM after another;
- virter.core.virter_vm, as users meet it: `ansible-playbook` with `wait_for: none`,
  `virt_type: qemu`, the collection from build/collections; "one task" = `count: N`,
  "separate" = N tasks of one VM each; for N > 1 also "vms:" = one task with `vms:` of N
  different entries (names, memory and vcpus differ) and "lab role" = the virter.core.lab
  role with the same N entries, each `wait_for: none` (its wait pass then returns at once).
  The lab role's tool time is from its first task to its last: the role's own tasks count
  (entry checks, trying the entries in check mode, the start and wait passes, known_hosts,
  add_host), whatever calls of virter_vm it makes. Each VM adds its DHCP host entry to the
  network, which libvirt (9.0, iptables) applies by reloading the network's firewall rules: a
  fixed cost per VM that libvirtd serializes and the peers (dynamic DHCP) do not pay;
- "virter.core static": the same with `static_dhcp: true` on host entries made once
  before the run (virter_network `dhcp_ids`), as a lab that creates VMs often sets it up;
- `kcli create vm -P virttype=qemu`, "one task" = `-c N`, "separate" = N commands;
- `virt-install --import` with a `backing_store` overlay and `--cloud-init`, "one task" =
  N processes at once (virt-install makes one VM per call), "separate" = N calls;
- community.libvirt as the `ansible` package installs it: `virt_install`, and the
  `virt_volume` (overlay, `create_cidata_cdrom`) + `virt` (define, running) path;
  "one task" = each step one task looping over the N VMs, "separate" = the steps per VM.

Measured: "wall" is the whole command (ansible-playbook included); "tool" is the time
from the first creating task's start to the last one's result, taken by a small callback
plugin (bench/_timing.py; ansible-core has no profile_tasks), i.e. without ansible-playbook's
own start-up; for commands it is the command's wall time, for the floor the in-process
time. Afterwards every domain is checked to be running. Bytes per VM: "VM files" are the
allocated blocks of each VM's own files (its disks and cdrom, not the shared backing
image, plus its XML in /etc/libvirt/qemu), taken right after "running"; "tool writes" are
the bytes the tool's own processes wrote (getrusage RUSAGE_CHILDREN ru_oublock, or
/proc/self/io write_bytes for the floor: temporary files such as AnsiballZ payloads or
seed ISOs count, libvirtd's writes do not). Each VM is destroyed and removed (domain,
volumes, DHCP host entries) right after it is measured.

"Issue targets" prints the ratios of the targets of the lab-in-one-call work ("ratio
(target)", never asserted). "Where the module's time goes" runs virter_vm once for one VM
in a fresh Python process (bench/_module_profile.py: no AnsiballZ, timers around its
phases) after the rounds.

"reachable" adds to the floor what any Ansible module pays and the floor does not: the ping
task once per task, and for dynamic DHCP one host entry per VM (measured in process).

Needs the peers in a separate venv (`make bench-peers`: /tmp/bench-venv with kcli, ansible,
libvirt-python, lxml, pycdlib), `virt-install` (Debian's virtinst) and, for kcli's seed ISO,
genisoimage; a peer whose programs are missing is skipped ("skipped: not installed"). Run
inside the sandbox:

    tools/sandbox exec .venv/bin/python bench/vm_create.py [--rounds 3] [--counts 1,4,8]

The collection comes from build/collections (`make collection`), else a private build.
"""
import argparse
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import libvirt
import pycdlib

from _module_profile import profile
from _timing import callback_env, task_span

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(sys.executable).parent  # the venv the bench runs with: its ansible-playbook
URI = "qemu:///system"
POOL = "default"
NETWORK = "default"
POOL_DIR = Path("/var/lib/libvirt/images")
IMAGE = "vbench-debian"  # virter image name
BASE = POOL_DIR / "vbench-debian.qcow2"  # the same qcow2 as a plain file, for the peers
PREFIX = "vbench-"
STATIC_IDS = range(200, 216)  # pre-made host entries for "virter.core static"
STATIC_MACS = ["52:54:00:00:00:%02x" % vm_id for vm_id in STATIC_IDS]
TIMEOUT = 900
# Peers whose seed ISO is a SATA cdrom: this guest image (cloud kernel, no AHCI) never
# sees it, so they are timed to "running" only and could not reach SSH.
SATA_SEED = {"kcli", "virt-install", "c.l virt_install"}
OURS = ("virter.core", "virter.core static")
# How the VMs of a run are made: every tool does "one" and "separate"; "vms" and "lab"
# are virter.core's, for N > 1 (N different entries).
MODES = ("one", "separate", "vms", "lab")


def quiet_errors():
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)


class Bench:
    def __init__(self, args):
        self.args = args
        self.conn = libvirt.open(URI)
        self.work = Path(tempfile.mkdtemp(prefix="vbench-"))
        self.key = self.work / "id_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.key)], check=True)
        self.pubkey = (self.work / "id_ed25519.pub").read_text().strip()
        self.peer_bin = Path(args.peer_venv) / "bin"
        self.collections = self._collections()
        self.lab_tasks = []  # the lab role's slowest tasks in the last run: [(seconds, name)]

    # -- set-up ---------------------------------------------------------------------

    def _collections(self):
        path = ROOT / "build" / "collections"
        if (path / "ansible_collections" / "virter" / "core").is_dir():
            return path
        # Do not `make collection` (others use build/): a private copy.
        out, coll = Path("/tmp/h5build"), Path("/tmp/h5coll")
        subprocess.run([str(VENV / "ansible-galaxy"), "collection", "build", "--force", "--output-path",
                        str(out), str(ROOT)], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([str(VENV / "ansible-galaxy"), "collection", "install", "--force", "-p", str(coll),
                        str(out / "virter-core-0.1.0.tar.gz")], check=True, stdout=subprocess.DEVNULL)
        return coll

    def prepare(self, guest_image):
        """The virter image (imported once) and the same qcow2 as a plain pool file."""
        self.playbook([{"virter.core.virter_image": {"name": IMAGE, "path": str(guest_image)}}], ours=True)
        if not BASE.exists():
            subprocess.run(["cp", "--sparse=always", str(guest_image), str(BASE)], check=True)
            shutil.chown(BASE, "libvirt-qemu", "kvm")
            BASE.chmod(0o644)
        self.conn.storagePoolLookupByName(POOL).refresh(0)

    def static_entries(self):
        """The host entries "virter.core static" claims (no name: cleanup keeps them)."""
        self.playbook([{"virter.core.virter_network": {
            "name": NETWORK, "dhcp_ids": {"first": STATIC_IDS[0], "count": len(STATIC_IDS)}}}], ours=True)

    def finish(self):
        self.cleanup()
        net = self.conn.networkLookupByName(NETWORK)
        for mac in STATIC_MACS:
            drop_host(net, mac)
        if not self.args.keep_image:
            self.playbook([{"virter.core.virter_image": {"name": IMAGE, "state": "absent"}}], ours=True)
            BASE.unlink(missing_ok=True)
            self.conn.storagePoolLookupByName(POOL).refresh(0)
        shutil.rmtree(self.work, ignore_errors=True)
        self.conn.close()

    def not_installed(self, label):
        """The programs that `label` needs and this machine lacks."""
        needs = {"kcli": [self.peer_bin / "kcli"], "virt-install": ["virt-install"],
                 "c.l virt_install": [self.peer_bin / "ansible-playbook", "virt-install"],
                 "c.l overlay": [self.peer_bin / "ansible-playbook"]}.get(label, [])
        return [str(prog) for prog in needs if shutil.which(str(prog)) is None]

    # -- running tools --------------------------------------------------------------

    def playbook(self, tasks, ours, **keys):
        """Run one play of `tasks` (and the play `keys`, e.g. roles) on localhost; returns
        (wall, [(name, start, end)])."""
        play = [dict({"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}, **keys)]
        path = self.work / "play.yml"
        path.write_text(json.dumps(play))
        times = self.work / "times.json"
        times.unlink(missing_ok=True)
        env = dict(os.environ, **callback_env(self.work, times), ANSIBLE_HOST_KEY_CHECKING="false",
                   ANSIBLE_NOCOLOR="1")
        if ours:
            env.update(ANSIBLE_COLLECTIONS_PATH=str(self.collections), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false")
            binary, python = VENV / "ansible-playbook", VENV / "python"
        else:
            env.pop("ANSIBLE_COLLECTIONS_PATH", None)
            binary, python = self.peer_bin / "ansible-playbook", self.peer_bin / "python"
        start = time.monotonic()
        proc = subprocess.run([str(binary), "-i", "localhost,", "-e", "ansible_python_interpreter=%s" % python,
                               str(path)], env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False)
        wall = time.monotonic() - start
        if proc.returncode != 0:
            raise RuntimeError("ansible-playbook failed:\n%s%s" % (proc.stdout[-3000:], proc.stderr[-2000:]))
        return wall, json.loads(times.read_text())

    def command(self, argv):
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, check=False)
        if proc.returncode != 0:
            raise RuntimeError("%s failed:\n%s%s" % (argv[0], proc.stdout[-3000:], proc.stderr[-2000:]))

    # -- the cases: each returns (wall, tool) seconds and leaves names[] running ------

    def case_floor(self, names, together):
        quiet_errors()
        pool = self.conn.storagePoolLookupByName(POOL)
        base = self.conn.storageVolLookupByPath(str(BASE))

        def one(name):
            overlay = pool.createXML(volume_xml(name + ".qcow2", 10 << 30, "qcow2", base.path()), 0)
            iso = seed_iso(name, self.pubkey)
            seed = pool.createXML(volume_xml(name + "-cidata.iso", len(iso), "raw"), 0)
            stream = self.conn.newStream(0)
            seed.upload(stream, 0, len(iso), 0)
            stream.send(iso)
            stream.finish()
            dom = self.conn.defineXML(domain_xml(name, overlay.path(), seed.path()))
            dom.create()

        start = time.monotonic()
        if together:
            threads = [threading.Thread(target=one, args=(name,)) for name in names]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        else:
            for name in names:
                one(name)
        elapsed = time.monotonic() - start
        return elapsed, elapsed

    def case_virter(self, names, mode, group, static=False):
        base = {"image": IMAGE, "virt_type": "qemu", "wait_for": "none", "memory": "1G", "static_dhcp": static}
        if mode == "lab":
            entries = [dict(base, **entry) for entry in lab_entries(names)]
            wall, times = self.playbook([], ours=True, roles=["virter.core.lab"], vars={
                "virter_lab_vms": entries, "virter_lab_known_hosts_file": str(self.work / "lab_known_hosts")})
            self.lab_tasks = sorted(((t["end"] - t["start"], t["name"]) for t in times), reverse=True)[:5]
            return wall, task_span(times)
        if mode == "vms":
            tasks = [{"virter.core.virter_vm": dict(base, vms=lab_entries(names))}]
        elif mode == "one":
            tasks = [{"virter.core.virter_vm": dict(base, name=group, count=len(names))}]
        else:
            tasks = [{"virter.core.virter_vm": dict(base, name=name)} for name in names]
        wall, times = self.playbook(tasks, ours=True)
        return wall, task_span(times)

    def kcli_argv(self):
        return [str(self.peer_bin / "kcli"), "create", "vm", "-i", BASE.name, "-P", "virttype=qemu",
                "-P", "memory=1024", "-P", "numcpus=1", "-P", "pool=%s" % POOL, "-P", "nets=[%s]" % NETWORK,
                "-P", "keys=[%s.pub]" % self.key]

    def case_kcli(self, names, together, group):
        start = time.monotonic()
        if together:
            self.command(self.kcli_argv() + ["-c", str(len(names)), group])
        else:
            for name in names:
                self.command(self.kcli_argv() + [name])
        elapsed = time.monotonic() - start
        return elapsed, elapsed

    def virt_install_argv(self, name):
        return ["virt-install", "--name", name, "--virt-type", "qemu", "--memory", "1024", "--vcpus", "1",
                "--import", "--disk", "size=10,backing_store=%s,backing_format=qcow2,format=qcow2,bus=virtio,"
                "pool=%s" % (BASE, POOL), "--cloud-init", "ssh-key=%s.pub" % self.key, "--osinfo", "linux2022",
                "--network", "network=%s,model=virtio" % NETWORK, "--graphics", "none", "--noautoconsole"]

    def case_virt_install(self, names, together):
        start = time.monotonic()
        if together:
            procs = [subprocess.Popen(self.virt_install_argv(name), stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True) for name in names]
            outputs = [proc.communicate(timeout=TIMEOUT)[0] for proc in procs]
            failed = [out for proc, out in zip(procs, outputs) if proc.returncode != 0]
            if failed:
                raise RuntimeError("virt-install failed:\n" + failed[0][-3000:])
        else:
            for name in names:
                self.command(self.virt_install_argv(name))
        elapsed = time.monotonic() - start
        return elapsed, elapsed

    def case_cl_virt_install(self, names, together):
        def args(name):
            return {"name": name, "virt_type": "qemu", "memory": 1024, "vcpus": 1, "import": True,
                    "osinfo": {"name": "linux2022"},
                    "disks": [{"pool": POOL, "size": 10, "format": "qcow2", "backing_store": str(BASE),
                               "backing_format": "qcow2", "bus": "virtio"}],
                    "networks": [{"network": NETWORK, "model": {"type": "virtio"}}],
                    "cloud_init": {"root_ssh_key": "%s.pub" % self.key}, "graphics": {"type": "none"}}
        if together:
            tasks = [{"community.libvirt.virt_install": args("{{ item }}"), "loop": names}]
        else:
            tasks = [{"community.libvirt.virt_install": args(name)} for name in names]
        wall, times = self.playbook(tasks, ours=False)
        return wall, task_span(times)

    def case_cl_overlay(self, names, together):
        def steps(name):
            return [
                {"community.libvirt.virt_volume": {
                    "pool": POOL, "command": "create",
                    "xml": volume_xml(name + ".qcow2", 10 << 30, "qcow2", str(BASE))}},
                {"community.libvirt.virt_volume": {
                    "pool": POOL, "command": "create_cidata_cdrom", "name": name + "-cidata.iso",
                    "cloudinit_config": {"METADATA": {"instance-id": name, "local-hostname": name},
                                         "USERDATA": {"ssh_authorized_keys": [self.pubkey]}}}},
                {"community.libvirt.virt": {
                    "command": "define",
                    "xml": domain_xml(name, str(POOL_DIR / (name + ".qcow2")),
                                      str(POOL_DIR / (name + "-cidata.iso")))}},
                {"community.libvirt.virt": {"name": name, "state": "running"}},
            ]
        if together:
            tasks = []
            for step in steps("@@NAME@@"):
                text = json.dumps(step).replace("@@NAME@@", "{{ item }}")
                tasks.append(dict(json.loads(text), loop=names))
        else:
            tasks = [step for name in names for step in steps(name)]
        wall, times = self.playbook(tasks, ours=False)
        return wall, task_span(times)

    def ansible_baseline(self):
        """Best (wall, task) of a playbook with one ansible.builtin.ping task, our environment."""
        runs = [self.playbook([{"ansible.builtin.ping": {}}], ours=True) for _round in range(self.args.rounds)]
        return min(wall for wall, _t in runs), min(task_span(times) for _w, times in runs)

    def host_entry_cost(self, rounds=5):
        """Median seconds libvirt takes to add one DHCP host entry to the network, in
        process: what each VM costs any tool that gives it a fixed address that way."""
        from lxml import etree

        net = self.conn.networkLookupByName(NETWORK)
        address = etree.fromstring(net.XMLDesc(0)).find("ip").get("address")
        mac, ip = "52:54:00:00:00:fa", address.rsplit(".", 1)[0] + ".250"
        flags = libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE | libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG
        times = []
        for _round in range(rounds):
            start = time.monotonic()
            net.update(libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST, -1,
                       "<host mac='%s' ip='%s'/>" % (mac, ip), flags)
            times.append(time.monotonic() - start)
            drop_host(net, mac)
        return sorted(times)[len(times) // 2]

    # -- measuring ------------------------------------------------------------------

    def ours(self):
        quiet_errors()
        return [dom for dom in self.conn.listAllDomains(0) if dom.name().startswith(PREFIX)]

    def measure(self, label, mode, count):
        """Best-of-rounds (wall, tool) and bytes per VM of the last round."""
        together = mode == "one"
        best_wall = best_tool = None
        self.lab_tasks = []
        files = writes = 0
        for _round in range(self.args.rounds):
            self.cleanup()
            tag = "%s%s%d" % (PREFIX, label_tag(label), count)
            group = tag + mode[0]
            names = ["%s-%d" % (group, i) for i in range(count)]
            before_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_oublock * 512
            before_self = self_write_bytes()
            if label == "floor":
                wall, tool = self.case_floor(names, together)
            elif label in OURS:
                wall, tool = self.case_virter(names, mode, group, static=label == "virter.core static")
            elif label == "kcli":
                wall, tool = self.case_kcli(names, together, group)
            elif label == "virt-install":
                wall, tool = self.case_virt_install(names, together)
            elif label == "c.l virt_install":
                wall, tool = self.case_cl_virt_install(names, together)
            else:
                wall, tool = self.case_cl_overlay(names, together)
            writes = resource.getrusage(resource.RUSAGE_CHILDREN).ru_oublock * 512 - before_children
            if label == "floor":
                writes = self_write_bytes() - before_self
            doms = self.ours()
            running = [dom for dom in doms if dom.isActive()]
            if len(doms) != count or len(running) != count:
                raise RuntimeError("%s: expected %d running vbench domains, found %s" % (
                    label, count, [(d.name(), bool(d.isActive())) for d in doms]))
            files = sum(vm_file_bytes(self.conn, dom) for dom in doms)
            self.cleanup()
            best_wall = wall if best_wall is None else min(best_wall, wall)
            best_tool = tool if best_tool is None else min(best_tool, tool)
        return {"wall": best_wall, "tool": best_tool, "files": files / count, "writes": writes / count,
                "slowest": self.lab_tasks}

    def cleanup(self):
        """Destroy and remove every vbench- domain, its own volumes and its DHCP host entries."""
        quiet_errors()
        net = self.conn.networkLookupByName(NETWORK)
        for dom in self.ours():
            xml = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
            if dom.isActive():
                dom.destroy()
            dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_NVRAM | libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)
            for path in own_files(self.conn, xml):
                try:
                    self.conn.storageVolLookupByPath(path).delete(0)
                except libvirt.libvirtError:
                    if path.startswith(("/var/lib/libvirt/boot/virtinst-", str(POOL_DIR / PREFIX))):
                        Path(path).unlink(missing_ok=True)
            for mac in macs(xml):
                if mac not in STATIC_MACS:
                    drop_host(net, mac)
        # host entries left without a domain (e.g. a failed run), named vbench-...
        from lxml import etree
        for host in etree.fromstring(net.XMLDesc(0)).iter("host"):
            if (host.get("name") or "").startswith(PREFIX) and host.get("mac"):
                drop_host(net, host.get("mac"))
        for path in list(POOL_DIR.glob(PREFIX + "*")) + list(POOL_DIR.glob("virter:work:" + PREFIX + "*")):
            if path != BASE:
                path.unlink(missing_ok=True)
        self.conn.storagePoolLookupByName(POOL).refresh(0)

    def module_profile(self, static):
        """The phases of one virter_vm run making one VM (bench/_module_profile.py)."""
        self.cleanup()
        args = {"name": "%spf%d" % (PREFIX, static), "image": IMAGE, "virt_type": "qemu", "wait_for": "none",
                "memory": "1G", "static_dhcp": static}
        try:
            run = profile(VENV / "python", self.collections, args)
            if run["result"].get("failed") or len([dom for dom in self.ours() if dom.isActive()]) != 1:
                raise RuntimeError("module profile: the VM was not made: %s" % run["result"].get("msg"))
        finally:
            self.cleanup()
        return run["rows"]


def lab_entries(names):
    """One virter_vm entry per name, differing in memory and vcpus."""
    sizes = ("512M", "768M", "1G", "1280M")
    return [{"name": name, "memory": sizes[i % len(sizes)], "vcpus": 1 + i % 2} for i, name in enumerate(names)]


# -- XML, ISO and file helpers ------------------------------------------------------

def volume_xml(name, capacity, fmt, backing=None):
    back = ("<backingStore><path>%s</path><format type='qcow2'/></backingStore>" % backing) if backing else ""
    return ("<volume><name>%s</name><capacity unit='bytes'>%d</capacity><target><format type='%s'/>"
            "</target>%s</volume>" % (name, capacity, fmt, back))


def domain_xml(name, disk, seed):
    """q35, TCG, virtio disk and the seed as a SCSI cdrom on virtio-scsi (what this guest
    image needs to see it)."""
    return """<domain type='qemu'>
  <name>%s</name><memory unit='MiB'>1024</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <features><acpi/><apic/></features>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='%s'/>
      <target dev='vda' bus='virtio'/></disk>
    <controller type='scsi' model='virtio-scsi'/>
    <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='%s'/>
      <target dev='sda' bus='scsi'/><readonly/></disk>
    <interface type='network'><source network='%s'/><model type='virtio'/></interface>
    <serial type='pty'/><console type='pty'/>
  </devices>
</domain>""" % (name, disk, seed, NETWORK)


def seed_iso(name, pubkey):
    files = {"meta-data": "instance-id: %s\nlocal-hostname: %s\n" % (name, name),
             "user-data": "#cloud-config\nssh_authorized_keys:\n  - %s\n" % pubkey}
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3, rock_ridge="1.09", vol_ident="cidata")
    for index, (fname, text) in enumerate(sorted(files.items())):
        data = text.encode()
        iso.add_fp(io.BytesIO(data), len(data), "/F%d.;1" % index, rr_name=fname, joliet_path="/" + fname)
    out = io.BytesIO()
    iso.write_fp(out)
    iso.close()
    return out.getvalue()


def own_files(conn, xml):
    """Disk and cdrom sources of a domain (files or pool volumes), without the shared
    backing images."""
    from lxml import etree
    paths = []
    for disk in etree.fromstring(xml).iter("disk"):
        source = disk.find("source")
        if source is not None and source.get("file"):
            paths.append(source.get("file"))
        elif source is not None and source.get("volume"):
            try:
                pool = conn.storagePoolLookupByName(source.get("pool"))
                paths.append(pool.storageVolLookupByName(source.get("volume")).path())
            except libvirt.libvirtError:
                pass
    return [p for p in paths if p != str(BASE) and ":layer:" not in p and ":tag:" not in p]


def macs(xml):
    from lxml import etree
    return [m.get("address") for m in etree.fromstring(xml).iter("mac") if m.get("address")]


def drop_host(net, mac):
    flags = libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE | libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG
    try:
        net.update(libvirt.VIR_NETWORK_UPDATE_COMMAND_DELETE, libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST, -1,
                   "<host mac='%s'/>" % mac, flags)
    except libvirt.libvirtError:
        pass  # no entry for it


def vm_file_bytes(conn, dom):
    total = 0
    for path in own_files(conn, dom.XMLDesc(0)) + ["/etc/libvirt/qemu/%s.xml" % dom.name()]:
        try:
            total += os.stat(path).st_blocks * 512
        except FileNotFoundError:
            pass  # e.g. virt-install's seed ISO, already deleted by virt-install
    return total


def self_write_bytes():
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


def label_tag(label):
    return {"floor": "fl", "virter.core": "vt", "virter.core static": "vs", "kcli": "kc", "virt-install": "vi",
            "c.l virt_install": "ci", "c.l overlay": "co"}[label]


# -- report -------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="best of ROUNDS (default 3)")
    parser.add_argument("--counts", default="1,4,8")
    parser.add_argument("--tools", default="floor,virter.core,virter.core static,kcli,virt-install,c.l virt_install,c.l overlay")
    parser.add_argument("--peer-venv", default="/tmp/bench-venv")
    parser.add_argument("--image", help="guest qcow2 (default: output of tools/build-guest-image)")
    parser.add_argument("--keep-image", action="store_true", help="leave the imported image in the pool")
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    tools = args.tools.split(",")
    image = args.image or subprocess.run([str(ROOT / "tools" / "build-guest-image")], check=True,
                                         capture_output=True, text=True).stdout.strip()
    bench = Bench(args)
    skipped = dict((label, bench.not_installed(label)) for label in tools if bench.not_installed(label))
    tools = [label for label in tools if label not in skipped]
    results, unmeasurable, baseline, profiles = {}, {}, (0.0, 0.0, 0.0), {}
    started = time.monotonic()
    try:
        bench.prepare(image)
        if "virter.core static" in tools:
            bench.static_entries()
        baseline = bench.ansible_baseline() + (bench.host_entry_cost(),)
        for count in counts:
            for mode, label in runs(tools, count):
                key = label if mode in ("one", "separate") else "%s %s" % (label, mode)
                if label in unmeasurable or key in unmeasurable:
                    continue
                try:
                    results[(label, mode, count)] = bench.measure(label, mode, count)
                except (RuntimeError, subprocess.TimeoutExpired, libvirt.libvirtError, OSError) as exc:
                    unmeasurable[key] = "N=%d: %s" % (count, failure_line(exc))
                    bench.cleanup()
                sys.stderr.write("  done %s %s %d (%.0f s)\n" % (label, mode, count, time.monotonic() - started))
        for label in [label for label in OURS if label in tools]:
            try:
                profiles[label] = bench.module_profile(static=label == "virter.core static")
            except (RuntimeError, subprocess.TimeoutExpired, libvirt.libvirtError, OSError) as exc:
                unmeasurable["%s profile" % label] = failure_line(exc)
    finally:
        bench.finish()
    report(results, unmeasurable, counts, tools, args.rounds, baseline)
    report_issue_ratios(results, counts, baseline)
    report_profiles(profiles, results, baseline)
    for label, reason in unmeasurable.items():
        print("not measurable: %s: %s" % (label, reason))
    for label, programs in skipped.items():
        print("%s skipped: not installed (%s)" % (label, ", ".join(programs)))
    print("total bench time %.0f s" % (time.monotonic() - started))


def runs(tools, count):
    """(mode, label) of every measurement for N = count, in table order."""
    for mode in MODES:
        for label in tools:
            if mode in ("one", "separate") or (label in OURS and count > 1):
                yield mode, label


def failure_line(exc):
    lines = str(exc).strip().splitlines()
    fatal = [line for line in lines if line.startswith(("fatal:", "ERROR"))]
    return (fatal or lines or ["?"])[-1][:300]


def report(results, unmeasurable, counts, tools, rounds, baseline):
    load = os.getloadavg()
    print("VM creation to 'running' (guest boot excluded), best of %d; %d CPUs, load %.1f/%.1f/%.1f at the end "
          "(machine shared with other engineers' tests: timings are noisy)" % (rounds, os.cpu_count(), *load))
    print("wall = whole command; tool = first creating task's start to last result (Ansible: callback timer),"
          " else = wall")
    print("mode vms: = N different VMs in one virter_vm task (`vms:`); lab role = the virter.core.lab role with"
          " the same N entries, wait_for: none, tool = its first task to its last (all of the role's tasks)")
    print("VM files = allocated bytes of the VM's own disks/cdrom + domain XML; tool writes = bytes written by"
          " the tool's processes")
    print("Ansible's own cost (virter.core's environment): a playbook with one ping task takes %.2f s wall, the"
          " ping task %.2f s; 'module' below = virter.core tool time minus the ping task (per task)" % baseline[:2])
    print("A DHCP host entry (what fixes a VM's address) costs %.2f s in libvirt, serialized; 'reachable' below ="
          " floor + the ping task per task + (virter.core, not static) one host entry per VM" % baseline[2])
    header = "%-18s %-8s %2s %8s %8s %8s %10s %11s" % (
        "tool", "mode", "N", "wall s", "tool s", "tool/VM", "VM files", "tool writes")
    print(header)
    print("-" * len(header))
    for count in counts:
        for mode, label in runs(tools, count):
            res = results.get((label, mode, count))
            if res is None:
                continue
            note = " (SATA seed: to 'running' only, no SSH)" if label in SATA_SEED else ""
            print("%-18s %-8s %2d %8.2f %8.2f %8.2f %7.0f KiB %7.0f KiB%s" % (
                label, mode_name(label, mode), count, res["wall"], res["tool"], res["tool"] / count,
                res["files"] / 1024, res["writes"] / 1024, note))
        print()
    for (label, _mode, count), res in results.items():
        if res["slowest"]:
            print("lab role, %d entries, %s: slowest tasks (last round) %s" % (count, label, "; ".join(
                "%s %.2f s" % (name, seconds) for seconds, name in res["slowest"])))
    report_ratios(results, counts, baseline)


def report_ratios(results, counts, baseline):
    print("ratios (virter.core tool time; targets: <= 1.5x floor, >= 2x faster per VM than kcli, >= 8x faster"
          " than community.libvirt, < 1 MB written per VM):")
    for count, mode, mine in [(c, m, o) for c in counts for m in ("one", "separate") for o in OURS]:
        ours = results.get((mine, mode, count))
        if ours is None:
            continue
        parts = []
        for label, target, invert in (("floor", 1.5, False), ("kcli", 2.0, True),
                                      ("c.l virt_install", 8.0, True), ("c.l overlay", 8.0, True)):
            other = results.get((label, mode, count))
            if other is None:
                continue
            if invert:
                ratio = other["tool"] / ours["tool"]
                parts.append("%s %.2fx faster [%s]" % (label, ratio, "met" if ratio >= target else "MISSED"))
            else:
                ratio = ours["tool"] / other["tool"]
                tasks = 1 if mode == "one" else count
                module = max(ours["tool"] - tasks * baseline[1], 0.0)
                reachable = other["tool"] + tasks * baseline[1] + (count * baseline[2] if mine == "virter.core" else 0)
                parts.append("%.2fx floor [%s] (wall %.2fx, module %.2f s = %.2fx, %.2fx reachable)" % (
                    ratio, "met" if ratio <= target else "MISSED", ours["wall"] / other["tool"], module,
                    module / other["tool"], ours["tool"] / reachable))
        size = ours["files"] + ours["writes"]
        parts.append("VM files %.0f KiB/VM [%s], with tool writes %.0f KiB/VM [%s]" % (
            ours["files"] / 1024, "met" if ours["files"] < 1e6 else "MISSED",
            size / 1024, "met" if size < 1e6 else "MISSED"))
        print("  %-18s N=%d %-8s %s" % (mine, count, mode, "; ".join(parts)))


def report_issue_ratios(results, counts, baseline):
    """The targets of the lab-in-one-call work, as "ratio (target)"; module = tool time
    minus the ping task."""
    print()
    print("issue targets (tool time unless 'module'; ratio (target), not asserted):")

    def tool(label, mode, count):
        res = results.get((label, mode, count))
        return None if res is None else res["tool"]

    def line(text, mine, other, target):
        if mine is not None and other:
            print("  %-62s %5.2fx (%s)" % (text, mine / other, target))

    floor, ping, entry = tool("floor", "one", 1), baseline[1], baseline[2]
    static, dynamic = tool("virter.core static", "one", 1), tool("virter.core", "one", 1)
    line("1 VM, one task, static: module vs floor", static and static - ping, floor, "target <= 1.5x")
    line("1 VM, one task, dynamic: module vs floor + one host entry", dynamic and dynamic - ping,
         floor and floor + entry, "target <= 1.5x")
    for label in OURS:
        line("1 VM, one task, %s: tool vs kcli" % label, tool(label, "one", 1), tool("kcli", "one", 1),
             "target <= 1.3x")
    for count in [c for c in counts if c > 1]:
        kcli = tool("kcli", "separate", count)
        for label in OURS:
            group = tool(label, "one", count)
            line("%s: lab role, %d entries vs kcli, %d commands" % (label, count, count),
                 tool(label, "lab", count), kcli, "target <= 0.5x")
            line("%s: lab role, %d entries vs count: %d, one task" % (label, count, count),
                 tool(label, "lab", count), group, "target <= 1.2x")
            line("%s: vms:, %d entries vs count: %d, one task" % (label, count, count),
                 tool(label, "vms", count), group, "no target")
            line("%s: %d separate tasks vs kcli, %d commands" % (label, count, count),
                 tool(label, "separate", count), kcli, "target <= 1.0x")


def report_profiles(profiles, results, baseline):
    """The module's phases side by side for each variant measured."""
    if not profiles:
        return
    labels = list(profiles)
    rows = {}
    for label in labels:
        for phase, seconds, calls in profiles[label]:
            rows.setdefault(phase, {})[label] = (seconds, calls)
    print()
    print("Where the module's time goes: virter_vm making 1 VM (wait_for: none), one run in a fresh Python"
          " process without AnsiballZ; timers inclusive, summed over threads: rows overlap and need not add up")
    header = "%-58s" % "phase" + "".join(" %22s" % label for label in labels)
    print(header)
    print("-" * len(header))
    for phase, cells in rows.items():
        print("%-58s" % phase + "".join(
            " %15.3f s %4s" % (cells[label][0], "x%d" % cells[label][1]) if label in cells else " %22s" % "-"
            for label in labels))
    for label in labels:
        res = results.get((label, "one", 1))
        if res is not None:
            print("%s under ansible-playbook (AnsiballZ), 1 VM in one task: module %.2f s (tool time minus the"
                  " ping task)" % (label, res["tool"] - baseline[1]))


def mode_name(label, mode):
    if label == "virt-install" and mode == "one":
        return "N procs"
    return {"vms": "vms:", "lab": "lab role"}.get(mode, mode)


if __name__ == "__main__":
    main()
