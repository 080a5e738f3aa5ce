"""Proof that the environment is real: a VM boots from the guest image under software
emulation, gets its fixed address by static DHCP, and accepts SSH with a host key that was
injected through a NoCloud seed (StrictHostKeyChecking=yes from the first connection)."""
import json

import pytest

from helpers.guest import Guest


@pytest.fixture
def guest(libvirt_conn, pool_guest_image, tmp_path):
    vm = Guest(libvirt_conn, tmp_path, "vtest-boot", 250, pool_guest_image)
    vm.destroy()  # leftovers of an interrupted run
    yield vm
    vm.destroy()


def test_guest_boots_and_accepts_pinned_ssh(guest, libvirt_conn):
    guest.boot()
    guest.wait_ready()

    hostname = guest.ssh("hostname")
    assert hostname.returncode == 0, hostname.stderr
    assert hostname.stdout.strip() == "vtest-boot"

    status = guest.ssh("cloud-init status --wait --format json", timeout=120)
    assert status.returncode == 0, status.stdout + status.stderr
    report = json.loads(status.stdout)
    assert report["status"] == "done", report
    assert not report.get("errors"), report["errors"]

    # The guest's address is the one the static DHCP entry fixed by id.
    addr = guest.ssh("ip -4 -o addr show dev eth0")
    assert f"inet {guest.ip}/" in addr.stdout
    # Both injected host keys are the ones the guest presents.
    keys = guest.ssh("for k in rsa ed25519; do cat /etc/ssh/ssh_host_${k}_key.pub; echo; done")
    pinned = {" ".join(line.split()[1:3]) for line in guest.known_hosts.read_text().splitlines()}
    assert {" ".join(line.split()[:2]) for line in keys.stdout.splitlines() if line} == pinned

    guest.destroy()
    assert "vtest-boot" not in libvirt_conn.listDefinedDomains() + [d.name() for d in libvirt_conn.listAllDomains()]
    assert guest.mac not in libvirt_conn.networkLookupByName("default").XMLDesc()
