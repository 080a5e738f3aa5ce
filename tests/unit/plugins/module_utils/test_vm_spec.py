import json

import pytest

from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput
from ansible_collections.virter.core.plugins.module_utils.vm import spec as vm_spec

# What AnsibleModule hands over for a task that sets only name and image.
PARAMS = {
    "name": "vm", "count": None, "id": None, "image": "debian-12", "memory": None, "vcpus": None,
    "boot_capacity": None, "disks": None, "nics": None, "mounts": None, "user": None, "arch": None,
    "virt_type": None, "secure_boot": None, "disk_cache": None, "gdb_port": None, "vnc": None,
    "vnc_port": None, "vnc_listen": None, "console_dir": None, "pool": "default", "user_data": None,
    "ssh_public_keys": None, "ssh_private_key_file": None, "network": None, "state": "running",
}
ACTUAL = {"memory": 1024 ** 3, "vcpus": 1, "disk_cache": None, "console_file": None, "vnc_port": None,
          "vnc_listen": None}


def filled(**override):
    return vm_spec.with_defaults(dict(PARAMS, **override), {})


def check(**override):
    return vm_spec.check(filled(**override)[0])


def test_defaults_fill_only_what_the_task_left_out():
    params, declared = filled(memory="2G", disks=[])
    assert params["memory"] == "2G" and params["vcpus"] == 1 and params["user"] == "root"
    assert params["network"] == "default"
    assert declared == {"name", "image", "memory", "disks", "pool", "state"}
    # The defaults are copies: a VM's list never changes the table.
    params["nics"].append("x")
    assert vm_spec.CREATE_DEFAULTS["nics"] == []


def test_the_environment_network_is_a_default_not_declared():
    params, declared = vm_spec.with_defaults(dict(PARAMS), {"VIRTER_LIBVIRT_NETWORK": "lab"})
    assert params["network"] == "lab" and "network" not in declared
    params, declared = vm_spec.with_defaults(dict(PARAMS, network="other"), {"VIRTER_LIBVIRT_NETWORK": "lab"})
    assert params["network"] == "other" and "network" in declared


def test_sizes_are_bytes_and_a_bare_number_is_mib():
    spec = check(memory="512", boot_capacity="2G")
    assert spec["memory"] == 512 * 1024 ** 2
    assert spec["boot_capacity"] == 2 * 1024 ** 3


def test_disk_defaults():
    spec = check(disks=[{"name": "data", "size": "1G"}])
    assert spec["disks"] == [{"name": "data", "size": 1024 ** 3, "format": "qcow2", "bus": "virtio", "pool": "default"}]


@pytest.mark.parametrize("override,message", [
    ({"id": 1}, "ids start at 2"),
    ({"id": 1, "count": 2}, "ids start at 2"),
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
    ({"boot_capacity": "2049T"}, "boot_capacity is larger than the 2 PiB a qcow2 volume can hold"),
    ({"disks": [{"name": "a", "size": "3000T"}]}, "size of disk a is larger than the 2 PiB"),
])
def test_bad_input(override, message):
    with pytest.raises(InvalidInput, match=message):
        check(**override)


def test_group_plan_with_fixed_ids():
    members = {"g-2": 2, "g-3": 3, "g-9": 9}
    keep, create, remove = vm_spec.group_plan("g", 3, 2, members)
    assert keep == [("g-2", 2), ("g-3", 3)]
    assert create == [4]
    assert remove == ["g-9"]


def test_group_plan_with_free_ids_keeps_the_lowest():
    members = {"g-7": 7, "g-3": 3, "g-5": 5}
    assert vm_spec.group_plan("g", 2, None, members) == ([("g-3", 3), ("g-5", 5)], [], ["g-7"])
    assert vm_spec.group_plan("g", 4, None, members) == ([("g-3", 3), ("g-5", 5), ("g-7", 7)], [None], [])
    assert vm_spec.group_plan("g", 0, None, members) == ([], [], ["g-3", "g-5", "g-7"])


def test_member_ports_count_from_the_index_not_the_id():
    spec = check(vnc=True, gdb_port=1234)
    assert vm_spec.member_ports(spec, 10, 0) == (6010, 1234)
    assert vm_spec.member_ports(spec, 11, 1) == (6011, 1235)
    spec = check(vnc_port=5900)
    assert spec["vnc"] is True
    assert vm_spec.member_ports(spec, 10, 2) == (5902, None)
    assert vm_spec.member_ports(check(), 10, 0) == (None, None)


def _drift(actual, declared, record, console_file=None, vnc_port=None, **override):
    spec = check(**override)
    desired = vm_spec.desired_settings(spec, actual, declared, console_file, vnc_port)
    return vm_spec.drift(actual, desired, record, vm_spec.recreate_record(spec, None, "ssh-rsa A"), declared)


def test_drift_splits_applicable_from_recreate():
    record = vm_spec.recreate_record(check(), None, "ssh-rsa A")
    assert _drift(ACTUAL, {"name", "image"}, record) == ({}, [])
    applicable, recreate = _drift(ACTUAL, {"vcpus", "user", "user_data"}, record, vcpus=2, user="debian",
                                  user_data={"packages": ["git"]})
    assert applicable == {"vcpus": (1, 2)}
    assert recreate == ["user", "user_data"]
    # A VM made by virter has no record: nothing is known to need a new VM.
    assert _drift(ACTUAL, {"user"}, None, user="debian")[1] == []
    assert json.loads(record)["image"] == "debian-12"


def test_options_left_out_are_not_compared():
    """A VM made with 2G, 4 vCPUs, a disk, unsafe cache, a console log, VNC and user_data:
    a task with only its name finds nothing to change."""
    made = check(memory="2G", vcpus=4, disks=[{"name": "data", "size": "1G"}], user_data={"a": 1},
                 user="debian", vnc=True)
    record = vm_spec.recreate_record(made, 5, "ssh-rsa A")
    actual = dict(ACTUAL, memory=2 * 1024 ** 3, vcpus=4, disk_cache="unsafe", console_file="/var/log/vm.log",
                  vnc_port=6010, vnc_listen="0.0.0.0")
    assert _drift(actual, {"name", "state"}, record) == ({}, [])
    # Declared, the same fields are drift.
    applicable, recreate = _drift(actual, {"memory", "disk_cache", "console_dir", "vnc", "disks", "user_data"},
                                  record, vnc_port=None)
    assert applicable == {"memory": (2 * 1024 ** 3, 1024 ** 3), "disk_cache": ("unsafe", None),
                          "console_file": ("/var/log/vm.log", None), "vnc_port": (6010, None),
                          "vnc_listen": ("0.0.0.0", None)}
    assert recreate == ["disks", "user_data"]


def test_vnc_listen_alone_keeps_the_port_and_a_new_display_gets_the_default_address():
    actual = dict(ACTUAL, vnc_port=6010, vnc_listen="127.0.0.1")
    assert _drift(actual, {"vnc_listen"}, None, vnc_listen="0.0.0.0")[0] == {"vnc_listen": ("127.0.0.1", "0.0.0.0")}
    assert _drift(ACTUAL, {"vnc"}, None, vnc_port=6010, vnc=True)[0] == {
        "vnc_port": (None, 6010), "vnc_listen": (None, "127.0.0.1")}
    # No display and none declared: an address alone adds none.
    assert _drift(ACTUAL, {"vnc_listen"}, None, vnc_listen="0.0.0.0")[0] == {}


def test_record_fields_an_older_record_lacks_are_not_compared():
    record = json.dumps({"image": "debian-12", "cloud_init": "sha256:old"})
    assert _drift(ACTUAL, {"user_data", "ssh_public_keys", "image"}, record, user_data={"a": 1})[1] == []


def test_memory_is_whole_kib_as_libvirt_keeps_it():
    assert check(memory="1500MB")["memory"] == 1500 * 1000 ** 2 // 1024 * 1024


def test_default_disk_cache_is_no_setting():
    assert check(disk_cache="default")["disk_cache"] is None
    assert check(disk_cache="unsafe")["disk_cache"] == "unsafe"
