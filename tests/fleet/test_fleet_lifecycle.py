"""A fleet of two simulated hypervisors comes up, is reached from the controller namespace
with pinned sshd host keys (Ansible and libvirt's ssh transport), keeps its libvirt apart
from every other daemon, and goes down leaving nothing behind. No VM is booted.

Runs in the machine's root namespace; it never touches the sandbox or root networking.
"""
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

FLEET = str(Path(__file__).resolve().parents[2] / "tools" / "fleet")
STATE = Path("/run/virter-fleet")
INVENTORY = STATE / "inventory.yml"
HOSTS = ("hv1", "hv2")


def run(*args, check=True, env=None, timeout=120):
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False,
                          env={**os.environ, **(env or {})})
    if check:
        assert done.returncode == 0, f"{args}: rc {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def fleet(*args, **kw):
    return run(FLEET, *args, **kw)


def in_controller(*args, **kw):
    return fleet("exec", "controller", *args, **kw)


def root_networking():
    return run("ip", "-o", "link").stdout, run("ip", "-o", "addr").stdout


def sandbox_libvirt():
    """The sandbox's libvirtd (the only process named libvirtd; the fleet's are named
    fleet-libvirtd), its `default` network and whether it has a network named like the
    fleet's probe. (Other tests may add networks to the sandbox meanwhile.)"""
    pids = run("pgrep", "-x", "libvirtd", check=False).stdout.split()
    virsh = ("virsh", "--quiet", "-c", "qemu:///system")
    nets = run(*virsh, "net-list", "--all", "--name", check=False)
    default = run(*virsh, "net-dumpxml", "default", check=False).stdout
    return pids, nets.returncode, "fleet-probe" in nets.stdout.split(), default


def fleet_namespaces():
    names = run("ip", "netns", "list").stdout.split()
    return [n for n in names if n == "virter-fctl" or re.fullmatch(r"virter-fhv\d+", n)]


def hostvars():
    return yaml.safe_load(INVENTORY.read_text())["virter_hypervisors"]["hosts"]


@pytest.fixture(scope="module")
def before():
    assert not fleet_namespaces(), "a fleet is already up: run tools/fleet down"
    snapshot = {"root": root_networking(), "sandbox": sandbox_libvirt()}
    up = fleet("up", "2", timeout=180)
    assert "up: 2 hosts" in up.stderr
    snapshot["netns_inodes"] = {os.stat(f"/run/netns/{n}").st_ino for n in fleet_namespaces()}
    yield snapshot
    fleet("down", check=False)


def test_up_is_idempotent_and_status_reports(before):
    again = fleet("up", "2")
    assert "already up" in again.stderr
    status = fleet("status").stdout
    assert "controller: virter-fctl present 10.77.0.1" in status
    for i, host in enumerate(HOSTS, 1):
        assert re.search(rf"^{host}: namespace virter-f{host} address 10\.77\.0\.1{i} "
                         r"virtlogd=\d+ libvirtd=\d+ sshd=\d+$", status, re.M), status
        assert f"{host}: pools default, networks default" in status
    assert fleet("up", "3", check=False).returncode != 0, "resizing a running fleet must fail"


def test_inventory_pins_host_keys(before):
    hosts = hostvars()
    assert sorted(hosts) == list(HOSTS)
    text = INVENTORY.read_text()
    assert "StrictHostKeyChecking=no" not in text
    known_hosts = (STATE / "known_hosts").read_text().splitlines()
    for i, host in enumerate(HOSTS, 1):
        var = hosts[host]
        assert var["ansible_host"] == f"10.77.0.1{i}"
        assert var["ansible_user"] == "root"
        assert Path(var["ansible_ssh_private_key_file"]).is_file()
        assert "StrictHostKeyChecking=yes" in var["ansible_ssh_common_args"]
        assert f"UserKnownHostsFile={STATE}/known_hosts" in var["ansible_ssh_common_args"]
        key = (STATE / "hosts" / host / "ssh" / "host_ed25519_key.pub").read_text().split()[:2]
        assert f"10.77.0.1{i} {' '.join(key)}" in known_hosts


def test_ansible_ping_from_controller(before, tmp_path):
    ping = in_controller("ansible", "-i", str(INVENTORY), "virter_hypervisors", "-m", "ping",
                         env={"ANSIBLE_HOST_KEY_CHECKING": "True"})
    for host in HOSTS:
        assert re.search(rf"^{host} \| SUCCESS", ping.stdout, re.M), ping.stdout
    hostnames = in_controller("ansible", "-i", str(INVENTORY), "virter_hypervisors",
                              "-m", "command", "-a", "hostname").stdout
    for host in HOSTS:
        assert re.search(rf"^{host} \| CHANGED \| rc=0 >>\n{host}$", hostnames, re.M), hostnames


def test_ansible_refuses_a_wrong_host_key(before, tmp_path):
    # Each host's address with the other host's key.
    lines = (STATE / "known_hosts").read_text().splitlines()
    swapped = [f"{a.split()[0]} {' '.join(b.split()[1:])}" for a, b in zip(lines, lines[::-1])]
    (tmp_path / "known_hosts").write_text("\n".join(swapped) + "\n")
    inventory = INVENTORY.read_text().replace(f"{STATE}/known_hosts", str(tmp_path / "known_hosts"))
    (tmp_path / "inventory.yml").write_text(inventory)
    ping = in_controller("ansible", "-i", str(tmp_path / "inventory.yml"), "virter_hypervisors",
                         "-m", "ping", check=False,
                         # a fresh connection, not a master made with the right key
                         env={"ANSIBLE_SSH_ARGS": "-o ControlMaster=no -o ControlPath=none"})
    assert ping.returncode != 0
    assert ping.stdout.count("UNREACHABLE") == 2, ping.stdout
    assert "Host key verification failed" in ping.stdout + ping.stderr


def virsh(host, *args, check=True):
    return in_controller("virsh", "--quiet", "-c", hostvars()[host]["virter_fleet_uri"], *args,
                         check=check)


def test_each_host_has_its_own_libvirt(before, tmp_path):
    for i, host in enumerate(HOSTS, 1):
        assert virsh(host, "pool-list", "--name").stdout.split() == ["default"]
        assert virsh(host, "net-list", "--name").stdout.split() == ["default"]
        assert f"address='192.168.20{i}.1'" in virsh(host, "net-dumpxml", "default").stdout
        assert virsh(host, "hostname").stdout.strip() == host
    probe = tmp_path / "probe.xml"
    probe.write_text("<network><name>fleet-probe</name></network>\n")
    # The file is read by virsh in the controller namespace (same file system).
    virsh("hv1", "net-define", str(probe))
    try:
        assert "fleet-probe" in virsh("hv1", "net-list", "--all", "--name").stdout.split()
        assert "fleet-probe" not in virsh("hv2", "net-list", "--all", "--name").stdout.split()
    finally:
        virsh("hv1", "net-undefine", "fleet-probe")
    # exec HOST reaches the same daemon on its own socket.
    local = fleet("exec", "hv2", "virsh", "--quiet", "-c", "qemu:///system", "hostname")
    assert local.stdout.strip() == "hv2"


def test_libvirt_uri_checks_the_host_key(before):
    known_hosts = STATE / "known_hosts"
    good = known_hosts.read_text()
    lines = good.splitlines()
    try:
        known_hosts.write_text(f"{lines[0].split()[0]} {' '.join(lines[1].split()[1:])}\n")
        wrong = virsh("hv1", "hostname", check=False)
        assert wrong.returncode != 0
        assert "Host key verification failed" in wrong.stderr, wrong.stderr
        known_hosts.write_text("")
        unknown = virsh("hv1", "hostname", check=False)
        assert unknown.returncode != 0
        assert "No ED25519 host key is known" in unknown.stderr, unknown.stderr
    finally:
        known_hosts.write_text(good)
    assert virsh("hv1", "hostname").stdout.strip() == "hv1"


def test_root_namespace_and_sandbox_untouched(before):
    assert root_networking() == before["root"]
    assert sandbox_libvirt() == before["sandbox"]
    links, addrs = root_networking()
    assert "10.77.0." not in addrs and "fbr0" not in links


def fleet_leftovers(inodes):
    procs = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if os.stat(proc / "ns" / "net").st_ino in inodes:
                    procs.append(proc.name)
            except OSError:
                pass
    mounts = [line for line in Path("/proc/self/mountinfo").read_text().splitlines()
              if str(STATE) in line or "/run/netns/virter-f" in line]
    return procs, mounts


def test_down_leaves_nothing(before):
    down = fleet("down")
    assert "down" in down.stderr
    assert fleet_namespaces() == []
    procs, mounts = fleet_leftovers(before["netns_inodes"])
    assert procs == [] and mounts == []
    assert run("pgrep", "-f", str(STATE), check=False).stdout == ""
    assert not STATE.exists()
    assert root_networking() == before["root"]
    assert sandbox_libvirt() == before["sandbox"]
    assert fleet("status", check=False).returncode == 3
    again = fleet("down")
    assert again.returncode == 0
