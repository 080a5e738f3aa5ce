"""virter_vm refuses bad input with a clear message and changes nothing."""
import json

import pytest
from lxml.builder import E
from lxml import etree

from helpers.ansible_run import run_task
from helpers.state import libvirt_state

VM = "virter.core.virter_vm"
BASE = {"name": "vtest-bad", "image": "vtest-tiny", "virt_type": "qemu", "wait_for": "none"}


@pytest.fixture
def foreign_domain(libvirt_conn):
    """A domain without virter metadata."""
    xml = E.domain(E.name("vtest-foreign"), E.memory("65536", unit="KiB"), E.vcpu("1"),
                   E.os(E.type("hvm", machine="q35")), type="qemu")
    dom = libvirt_conn.defineXML(etree.tostring(xml).decode())
    yield "vtest-foreign"
    dom.undefine()


CASES = [
    ({"pull_policy": "Never", "image": "vtest-missing"}, "not in storage pool"),
    ({"id": 0}, "ids start at 2"),
    ({"id": 1}, "ids start at 2"),
    ({"id": 300}, "outside"),
    ({"count": 3, "id": 253}, "broadcast"),
    ({"memory": "lots"}, "invalid size"),
    ({"memory": "0"}, "larger than 0"),
    ({"boot_capacity": "10X"}, "invalid size"),
    ({"disks": [{"name": "a", "size": "1G", "bus": "usb"}]}, "bus"),
    ({"disks": [{"name": "a", "size": "1G", "format": "vmdk"}]}, "format"),
    ({"disks": [{"name": "a", "size": "1G"}, {"name": "a", "size": "2G"}]}, "appears twice"),
    ({"disks": [{"name": "cidata", "size": "1G"}]}, "cidata"),
    ({"nics": [{"source": "vtest-no-such-net"}]}, "does not exist"),
    ({"name": "bad/name"}, "invalid VM name"),
    ({"user_data": {"ssh_keys": {}}}, "ssh_keys"),
    ({"user_data": {"disable_root": True}}, "disable_root would refuse the SSH login as root"),
    ({"user": "debian", "user_data": {"users": [{"name": "alice"}]}}, "neither 'default' nor an entry for debian"),
    ({"arch": "arm64", "disks": [{"name": "a", "size": "1G", "bus": "ide"}]}, "bus ide exists only"),
    ({"count": 300}, "free ids"),
    ({"vcpus": 100000}, "vcpus 100000 of VM vtest-bad is more than the"),
    ({"memory": "100T"}, "memory of VM vtest-bad (104857600 MiB) is more than the hypervisor has"),
    ({"boot_capacity": "3000T"}, "boot_capacity is larger than the 2 PiB a qcow2 volume can hold"),
    ({"disks": [{"name": "a", "size": "3000T"}]}, "size of disk a is larger than the 2 PiB"),
    ({"disks": [{"name": "a", "size": "100000T", "format": "raw"}]}, "MiB free"),
]


@pytest.mark.parametrize("override,message", CASES, ids=[c[1] + "-" + str(i) for i, c in enumerate(CASES)])
def test_bad_input_fails_cleanly(tiny_image, libvirt_conn, override, message):
    before = libvirt_state(libvirt_conn)
    result = run_task(VM, dict(BASE, **override))
    assert result.get("failed"), result
    assert message in result["msg"], result["msg"]
    assert "Traceback (most recent call last)" not in json.dumps(result)
    assert libvirt_state(libvirt_conn) == before


def test_taken_id_fails_cleanly(tiny_image, libvirt_conn):
    first = run_task(VM, dict(BASE, name="vtest-taken", id=40, state="stopped"))
    assert first["changed"], first
    try:
        before = libvirt_state(libvirt_conn)
        result = run_task(VM, dict(BASE, name="vtest-taken2", id=40, state="stopped"))
        assert result["failed"] and "id 40 is taken" in result["msg"], result
        assert libvirt_state(libvirt_conn) == before
    finally:
        assert run_task(VM, dict(BASE, name="vtest-taken", state="absent"))["changed"]


def test_name_clash_with_a_foreign_domain(tiny_image, libvirt_conn, foreign_domain):
    before = libvirt_state(libvirt_conn)
    for state in ("running", "absent"):
        result = run_task(VM, dict(BASE, name=foreign_domain, state=state))
        assert result["failed"] and "not a virter VM" in result["msg"], result
    assert libvirt_state(libvirt_conn) == before


def test_volume_name_clash_with_another_vm(tiny_image, libvirt_conn):
    """virter names extra disks <vm>-<disk>: VM vtest-vol-x would take vtest-vol's disk x."""
    first = run_task(VM, dict(BASE, name="vtest-vol", state="stopped", disks=[{"name": "x", "size": "64M"}]))
    assert first["changed"], first
    try:
        before = libvirt_state(libvirt_conn)
        result = run_task(VM, dict(BASE, name="vtest-vol-x", state="stopped"))
        assert result["failed"] and "in use by domain vtest-vol" in result["msg"], result
        assert libvirt_state(libvirt_conn) == before
    finally:
        assert run_task(VM, dict(BASE, name="vtest-vol", state="absent"))["changed"]
