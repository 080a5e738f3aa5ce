import json

import pytest

from ansible_collections.virter.core.plugins.module_utils import _vm_spec
from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput

PARAMS = {
    "name": "vm", "count": None, "id": None, "image": "debian-12", "memory": "1G", "vcpus": 1,
    "boot_capacity": "10G", "disks": [], "nics": [], "mounts": [], "user": "root", "arch": "amd64",
    "virt_type": "qemu", "secure_boot": False, "disk_cache": None, "gdb_port": None, "vnc": False,
    "vnc_port": None, "vnc_listen": "127.0.0.1", "console_dir": None, "pool": "default", "user_data": None,
}


def check(**override):
    return _vm_spec.check(dict(PARAMS, **override))


def test_sizes_are_bytes_and_a_bare_number_is_mib():
    spec = check(memory="512", boot_capacity="2G")
    assert spec["memory"] == 512 * 1024 ** 2
    assert spec["boot_capacity"] == 2 * 1024 ** 3


def test_disk_defaults():
    spec = check(disks=[{"name": "data", "size": "1G"}])
    assert spec["disks"] == [{"name": "data", "size": 1024 ** 3, "format": "qcow2", "bus": "virtio", "pool": "default"}]


@pytest.mark.parametrize("override,message", [
    ({"id": 1}, "ids start at 2"),
    ({"id": 0}, "ids start at 2"),
    ({"count": -1}, "count must be 0 or more"),
    ({"memory": "0"}, "larger than 0"),
    ({"vcpus": 0}, "vcpus"),
    ({"disks": [{"name": "a", "size": "1G"}, {"name": "a", "size": "1G"}]}, "appears twice"),
    ({"disks": [{"name": "cidata", "size": "1G"}]}, "cidata"),
    ({"disks": [{"name": "a/b", "size": "1G"}]}, "invalid disk name"),
    ({"nics": [{"type": "network"}]}, "needs a source"),
    ({"mounts": [{"host": "rel", "vm": "/x"}]}, "absolute"),
    ({"console_dir": "logs"}, "absolute"),
    ({"gdb_port": 70000}, "TCP port"),
    ({"user_data": {"ssh_keys": {}}}, "ssh_keys"),
    ({"name": "-x"}, "invalid VM name"),
    ({"memory": "100B"}, "at least 1 KiB"),
    ({"mounts": [{"host": "/srv", "vm": "/" + "x" * 36}]}, "longer than 36 bytes"),
    ({"arch": "arm64", "disks": [{"name": "a", "size": "1G", "bus": "ide"}]}, "bus ide exists only"),
])
def test_bad_input(override, message):
    with pytest.raises(InvalidInput, match=message):
        check(**override)


def test_group_plan_with_fixed_ids():
    members = {"g-2": 2, "g-3": 3, "g-9": 9}
    keep, create, remove = _vm_spec.group_plan("g", 3, 2, members)
    assert keep == [("g-2", 2), ("g-3", 3)]
    assert create == [4]
    assert remove == ["g-9"]


def test_group_plan_with_free_ids_keeps_the_lowest():
    members = {"g-7": 7, "g-3": 3, "g-5": 5}
    assert _vm_spec.group_plan("g", 2, None, members) == ([("g-3", 3), ("g-5", 5)], [], ["g-7"])
    assert _vm_spec.group_plan("g", 4, None, members) == ([("g-3", 3), ("g-5", 5), ("g-7", 7)], [None], [])
    assert _vm_spec.group_plan("g", 0, None, members) == ([], [], ["g-3", "g-5", "g-7"])


def test_member_ports_count_from_the_index_not_the_id():
    spec = check(vnc=True, gdb_port=1234)
    assert _vm_spec.member_ports(spec, 10, 0) == (6010, 1234)
    assert _vm_spec.member_ports(spec, 11, 1) == (6011, 1235)
    spec = check(vnc_port=5900)
    assert spec["vnc"] is True
    assert _vm_spec.member_ports(spec, 10, 2) == (5902, None)
    assert _vm_spec.member_ports(check(), 10, 0) == (None, None)


def test_drift_splits_applicable_from_recreate():
    spec = check()
    record = _vm_spec.recreate_record(spec, None, "sha256:a")
    actual = {"memory": spec["memory"], "vcpus": 1, "disk_cache": None, "console_file": None,
              "vnc_port": None, "vnc_listen": None}
    assert _vm_spec.drift(actual, dict(spec, console_file=None, vnc_listen=None), record, record) == ({}, [])
    desired = dict(spec, vcpus=2, console_file=None, vnc_listen=None, user="debian")
    applicable, recreate = _vm_spec.drift(actual, desired, record,
                                          _vm_spec.recreate_record(desired, None, "sha256:b"))
    assert applicable == {"vcpus": (1, 2)}
    assert recreate == ["user", "cloud_init"]
    # A VM made by virter has no record: nothing is known to need a new VM.
    assert _vm_spec.drift(actual, desired, None, record)[1] == []
    assert json.loads(record)["image"] == "debian-12"


def test_memory_is_whole_kib_as_libvirt_keeps_it():
    assert check(memory="1500MB")["memory"] == 1500 * 1000 ** 2 // 1024 * 1024


def test_default_disk_cache_is_no_setting():
    assert check(disk_cache="default")["disk_cache"] is None
    assert check(disk_cache="unsafe")["disk_cache"] == "unsafe"
