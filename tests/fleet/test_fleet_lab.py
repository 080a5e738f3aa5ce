"""A lab of four VMs over the two simulated hypervisors of tools/fleet, driven from the
controller namespace as a user drives real hypervisors from a laptop: the modules run on
the hosts of the inventory group virter_hypervisors, the VMs are placed by the lab role's
rule and provisioned from the controller through their hypervisor, with strict host key
checking on both hops. Their image is one for the whole fleet: built by image_build on hv1
(its build VM provisioned from the controller through hv1), pushed to a registry in the
controller namespace, pulled by both hosts, once."""
import json
import re
import shlex
import subprocess
import sys
import textwrap
import time

import pytest

from fleet_helpers import FLEET, changed, fleet_exec, inventories, leftovers

BASE = "vtest-fleet"
REGISTRY_HOST, REGISTRY_PORT = "10.77.0.1", 5000  # the controller's address on the fleet's bridge
REGISTRY = f"{REGISTRY_HOST}:{REGISTRY_PORT}"
IMAGE = f"{REGISTRY}/fleet/built:1"
OPTIONS = {"memory": "512M", "registry_tls_verify": False}  # a plain-HTTP registry
LAB = [
    {"name": "fl-web", "count": 2, "image": IMAGE, **OPTIONS},
    {"name": "fl-db", "image": IMAGE, **OPTIONS},
    {"name": "fl-cache", "image": IMAGE, **OPTIONS},
]


@pytest.fixture(scope="module")
def registry(fleet, tmp_path_factory):
    """Debian's docker-registry in the controller namespace; yields its access log."""
    root = tmp_path_factory.mktemp("fleet-registry")
    config = root / "config.yml"
    config.write_text(f"version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {root}/data\n"
                      f"http:\n  addr: {REGISTRY}\n")
    log = root / "registry.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([FLEET, "exec", "controller", "docker-registry", "serve", str(config)],
                                stdout=out, stderr=subprocess.STDOUT)
    probe = [sys.executable, "-c", f"import socket; socket.create_connection(('{REGISTRY_HOST}', {REGISTRY_PORT}), 1)"]
    for _attempt in range(60):
        if fleet_exec("controller", probe).returncode == 0:
            break
        assert proc.poll() is None, log.read_text()
        time.sleep(0.5)
    yield log
    proc.terminate()
    proc.wait(timeout=30)


def blob_pulls(log):
    return len(re.findall(r'"GET /v2/fleet/built/blobs/', log.read_text()))


def build(tmp_path, inventory):
    """image_build on hv1 with a virter provisioning file (a shell step and an rsync, both
    through hv1), pushed to the registry."""
    (tmp_path / "marker").mkdir()
    (tmp_path / "marker" / "rsynced").write_text("through hv1\n")
    (tmp_path / "build.toml").write_text(textwrap.dedent("""\
        version = 1
        [values]
        Host = "hv1"
        [[steps]]
        [steps.shell]
        script = 'echo "built on $HOST" > /root/built'
        [steps.shell.env]
        HOST = "{{.Host}}"
        [[steps]]
        [steps.rsync]
        source = "marker"
        dest = "/root"
        """))
    book = tmp_path / "build.yml"
    book.write_text(textwrap.dedent(f"""\
        - name: The fleet's image, built on hv1
          hosts: localhost
          gather_facts: false
          roles:
            - role: virter.core.image_build
              vars:
                virter_image_build_hypervisor: hv1
                virter_image_build_name: fl-built
                virter_image_build_base: {BASE}
                virter_image_build_provision_file: build.toml
                virter_image_build_virt_type: qemu
                virter_image_build_push_ref: {IMAGE}
                virter_image_build_vm_options: {json.dumps(dict(OPTIONS, disk_cache="unsafe"))}
        """))
    # The provisioning file's host paths are relative to the working directory, as with virter.
    command = " ".join(shlex.quote(arg) for arg in ["ansible-playbook", *inventories(tmp_path, inventory), str(book)])
    proc = fleet_exec("controller", ["sh", "-c", f"cd {shlex.quote(str(tmp_path))} && exec {command}"])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def playbook(path):
    path.write_text(textwrap.dedent(f"""\
        - name: The lab, placed over the hypervisors
          hosts: localhost
          gather_facts: false
          module_defaults:
            virter.core.virter_vm:
              virt_type: qemu
              # Both hosts are namespaces of this machine: the lab's four VMs boot at once
              # under software emulation on its CPUs.
              wait_timeout: 900
          roles:
            - role: virter.core.lab
              vars:
                virter_lab_hypervisors: virter_hypervisors
                virter_lab_vms: {json.dumps(LAB)}
                virter_lab_known_hosts_file: {path.parent}/lab_known_hosts

        - name: Provisioned from the controller, through each VM's hypervisor
          hosts: virter_lab
          gather_facts: false
          tasks:
            - name: A file written over SSH
              ansible.builtin.copy:
                content: "on {{{{ virter_hypervisor }}}}\\n"
                dest: /root/placed
                mode: "0644"
            - name: The VM runs the image built on hv1
              ansible.builtin.command: cat /root/built
              register: built
              changed_when: false
              check_mode: false  # it only reads
              failed_when: built.stdout != 'built on hv1'
            - name: The image has what the provisioning file's rsync step copied
              ansible.builtin.command: cat /root/marker/rsynced
              register: rsynced
              changed_when: false
              check_mode: false  # it only reads
              failed_when: rsynced.stdout != 'through hv1'
            - name: The VM is who it claims to be
              ansible.builtin.command: hostname
              register: hostname
              changed_when: false
              check_mode: false  # it only reads
            - name: Its name and hypervisor
              ansible.builtin.assert:
                that:
                  - hostname.stdout == inventory_hostname
                  - virter_hypervisor == ('hv1' if inventory_hostname.startswith('fl-web-') else 'hv2')
                fail_msg: "{{{{ inventory_hostname }}}}: hostname {{{{ hostname.stdout }}}}, on {{{{ virter_hypervisor }}}}"
        """))
    return path


def run(tmp_path, inventory, state="present", check=False):
    """The playbook from the controller namespace; its stdout."""
    book = playbook(tmp_path / "lab.yml")
    cmd = ["ansible-playbook", *inventories(tmp_path, inventory), str(book), "-e", "virter_lab_state=" + state]
    if check:
        cmd.append("--check")
    proc = fleet_exec("controller", cmd)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def domains(host):
    return leftovers(host, "fl-")[0]


def image_on(host, inventory, tmp_path, args):
    done = fleet_exec("controller", ["ansible", *inventories(tmp_path, inventory), host, "-m",
                                     "virter.core.virter_image", "-a", json.dumps(args)])
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_lab_over_two_hypervisors(fleet, registry, guest_image_file, tmp_path):
    image_on("hv1", fleet, tmp_path, {"name": BASE, "path": guest_image_file})
    try:
        build(tmp_path, fleet)
        steps = [run(tmp_path, fleet, check=check) for check in (True, False)]
        pulled = blob_pulls(registry)
        steps += [run(tmp_path, fleet, check=check) for check in (True, False)]
        assert [changed(out) > 0 for out in steps] == [True, True, False, False], steps
        # hv2 pulled the image's blobs (hv1 had its layers); the reruns pulled nothing.
        assert pulled > 0 and blob_pulls(registry) == pulled, registry.read_text()[-2000:]
        # By the rule: the group of two on the first host, the next two on the second.
        assert domains("hv1") == ["fl-web-2", "fl-web-3"] and domains("hv2") == ["fl-cache", "fl-db"]
        known = (tmp_path / "lab_known_hosts").read_text().splitlines()
        assert len(known) == 8  # four VMs, RSA and ed25519 each
    finally:
        run(tmp_path, fleet, state="absent")
        for host in ("hv1", "hv2"):
            for name in (IMAGE, "fl-built", BASE):
                image_on(host, fleet, tmp_path, {"name": name, "state": "absent"})
    for host in ("hv1", "hv2"):
        assert leftovers(host, "fl-") == ([], [], []), host
        assert "virter:" not in fleet_exec(host, ["virsh", "-q", "-c", "qemu:///system", "vol-list", "default"]).stdout
