# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""virter_vm's options turned into checked VM specs, group membership, and drift.
Pure: no libvirt, no files.

Options a task leaves out are not compared with an existing VM and not changed on it:
CREATE_DEFAULTS fill them for new VMs only, and drift looks at the declared ones.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

from ansible_collections.virter.core.plugins.module_utils._addressing import (
    FIRST_VM_ID,
    normalize_mac,
    parse_size,
    validate_name,
)
from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput
from ansible_collections.virter.core.plugins.module_utils.vm import options
from ansible_collections.virter.core.plugins.module_utils.vm.cloudinit import check_extra, inputs_hash

VNC_BASE_PORT = 6000  # virter's default: 6000 + id

# What a new VM gets for an option the task leaves out (the access network: the
# environment's NETWORK_ENV, else "default").
CREATE_DEFAULTS = options.new_vm_defaults()
NETWORK_ENV = "VIRTER_LIBVIRT_NETWORK"

# {field: the options that declare it}: what a running VM takes from its persistent
# definition at the next boot, and what only a new VM can change (kept as JSON in the
# collection's metadata).
APPLIED_FIELDS = options.drift_fields(options.APPLIED)
RECREATE_FIELDS = options.drift_fields(options.RECREATE)


def with_defaults(params, environ):
    """(params with CREATE_DEFAULTS for what the task left out, the names of the options
    it set). The environment's network counts as a default, not as declared."""
    declared = set(key for key, value in params.items() if value is not None)
    filled = dict(params)
    for key, value in CREATE_DEFAULTS.items():
        if filled.get(key) is None:
            filled[key] = list(value) if isinstance(value, list) else value
    if filled.get("network") is None:
        filled["network"] = environ.get(NETWORK_ENV) or "default"
    return filled, declared


def check(params):
    """Validate everything that does not need libvirt; returns the common spec."""
    validate_name(params["name"], "VM name")
    if params.get("count") is not None and params["count"] < 0:
        raise InvalidInput("count must be 0 or more, not %d" % params["count"])
    if params.get("id") is not None and params["id"] < FIRST_VM_ID:
        raise InvalidInput("id %d is not usable: VM ids start at %d (1 is the host's address)"
                           % (params["id"], FIRST_VM_ID))
    # libvirt keeps memory in KiB: a size that is not a whole KiB would read back as drift.
    memory = _positive_size(params["memory"], "memory") // 1024 * 1024
    if not memory:
        raise InvalidInput("memory must be at least 1 KiB")
    if params["vcpus"] < 1:
        raise InvalidInput("vcpus must be at least 1")
    check_extra(params.get("user_data"), params["user"])
    spec = {
        "image": params.get("image"),
        "memory": memory,
        "vcpus": params["vcpus"],
        "boot_capacity": _qcow2_size(_positive_size(params["boot_capacity"], "boot_capacity"), "boot_capacity"),
        "disks": _disks(params.get("disks") or [], params["pool"], params["arch"]),
        "nics": _nics(params.get("nics") or []),
        "mounts": _mounts(params.get("mounts") or []),
        "user": params["user"],
        "ssh_public_keys": list(params["ssh_public_keys"]),
        "user_data": params.get("user_data"),
        "arch": params["arch"],
        "virt_type": params["virt_type"],
        "secure_boot": params["secure_boot"],
        # libvirt leaves the default out of the XML, so it reads back as None.
        "disk_cache": None if params.get("disk_cache") in (None, "default") else params["disk_cache"],
        "gdb_port": params.get("gdb_port"),
        "vnc": params["vnc"] or params.get("vnc_port") is not None,
        "vnc_port": params.get("vnc_port"),
        "vnc_listen": params["vnc_listen"],
        "console_dir": params.get("console_dir"),
    }
    if spec["console_dir"] and not os.path.isabs(spec["console_dir"]):
        raise InvalidInput("console_dir must be an absolute path, not %s" % spec["console_dir"])
    for key in ("gdb_port", "vnc_port"):
        if spec[key] is not None and not 1 <= spec[key] <= 65535:
            raise InvalidInput("%s must be a TCP port (1-65535), not %d" % (key, spec[key]))
    return spec


def _positive_size(value, what):
    size = parse_size(value)
    if size <= 0:
        raise InvalidInput("%s must be larger than 0" % what)
    return size


# What a qcow2 file with the 64 KiB clusters libvirt makes can address (qemu-img refuses more).
QCOW2_MAX = 2 * 1024 ** 5


def _qcow2_size(size, what):
    if size > QCOW2_MAX:
        raise InvalidInput("%s is larger than the 2 PiB a qcow2 volume can hold" % what)
    return size


def _disks(disks, default_pool, arch):
    seen = set()
    result = []
    for disk in disks:
        name = validate_name(disk.get("name"), "disk name")
        if name == "cidata":
            raise InvalidInput("disk name cidata is taken by the VM's cloud-init volume")
        if name in seen:
            raise InvalidInput("disk name %s appears twice" % name)
        if disk.get("bus") == "ide" and arch != "amd64":
            raise InvalidInput("disk %s: bus ide exists only for arch amd64 (as SATA on q35); use virtio or scsi"
                               % name)
        seen.add(name)
        size = _positive_size(disk.get("size"), "size of disk %s" % name)
        fmt = disk.get("format") or "qcow2"
        result.append({
            "name": name,
            "size": _qcow2_size(size, "size of disk %s" % name) if fmt == "qcow2" else size,
            "format": fmt,
            "bus": disk.get("bus") or "virtio",
            "pool": disk.get("pool") or default_pool,
        })
    return result


def _nics(nics):
    result = []
    for nic in nics:
        if not nic.get("source"):
            raise InvalidInput("every entry of nics needs a source (network or bridge name)")
        result.append({
            "type": nic.get("type") or "network",
            "source": nic["source"],
            "model": nic.get("model") or "virtio",
            "mac": normalize_mac(nic["mac"]) if nic.get("mac") else None,
        })
    return result


def _mounts(mounts):
    for mount in mounts:
        for key in ("host", "vm"):
            if not mount.get(key) or not os.path.isabs(mount[key]):
                raise InvalidInput("mounts need absolute `host` and `vm` paths, got %r" % (mount,))
        # The VM path is the virtiofs tag (as virter makes it), and QEMU takes 36 bytes at most.
        if len(mount["vm"].encode("utf-8")) > 36:
            raise InvalidInput("mounts: the vm path %s is longer than 36 bytes, the most a virtiofs tag "
                               "can be" % mount["vm"])
    return [{"host": m["host"], "vm": m["vm"]} for m in mounts]


def group_plan(name, count, first_id, members):
    """Which members of group `name` to keep, create and remove.

    `members`: {vm name: id} of the existing members. With `first_id` the members are
    exactly ids first_id .. first_id+count-1; without, existing members are kept
    (lowest ids first) and new ones take free ids (None: chosen at creation).
    Returns (keep [(name, id)], create [id or None], remove [name])."""
    by_id = sorted((vm_id, vm) for vm, vm_id in members.items())
    if first_id is not None:
        wanted = set(range(first_id, first_id + count))
        keep = [(vm, vm_id) for vm_id, vm in by_id if vm_id in wanted and vm == member_name(name, vm_id)]
        kept_ids = set(vm_id for _vm, vm_id in keep)
        create = [vm_id for vm_id in sorted(wanted) if vm_id not in kept_ids]
        remove = [vm for vm_id, vm in by_id if (vm, vm_id) not in keep]
        return keep, create, remove
    keep = [(vm, vm_id) for vm_id, vm in by_id[:count]]
    remove = [vm for _vm_id, vm in by_id[count:]]
    return keep, [None] * max(0, count - len(keep)), remove


def member_name(group, vm_id):
    return "%s-%d" % (group, vm_id)


def member_ports(spec, vm_id, index):
    """VNC and gdb ports of the member with `vm_id`, the `index`-th of its group by id."""
    vnc_port = None
    if spec["vnc"]:
        vnc_port = spec["vnc_port"] + index if spec["vnc_port"] is not None else VNC_BASE_PORT + vm_id
    gdb_port = spec["gdb_port"] + index if spec["gdb_port"] is not None else None
    return vnc_port, gdb_port


def recreate_record(spec, gdb_port, key_pair_public):
    """The JSON kept in the domain's metadata to tell later which fields need a new VM
    (the cloud-init inputs as digests)."""
    record = dict((key, spec.get(key)) for key in RECREATE_FIELDS)
    record.update(gdb_port=gdb_port, key_pair=inputs_hash(key_pair_public),
                  ssh_public_keys=inputs_hash(spec["ssh_public_keys"]), user_data=inputs_hash(spec["user_data"]))
    return json.dumps(record, sort_keys=True)


def desired_settings(spec, actual, declared, console_file, vnc_port):
    """The APPLIED_FIELDS an existing VM should have: the declared ones as the task says
    (`console_file` and `vnc_port` worked out for this VM), the others as they are."""
    wanted = {"memory": spec["memory"], "vcpus": spec["vcpus"], "disk_cache": spec["disk_cache"],
              "console_file": console_file, "vnc_port": vnc_port}
    desired = dict((key, value if declared & set(APPLIED_FIELDS[key]) else actual.get(key))
                   for key, value in wanted.items())
    listen = actual.get("vnc_listen")
    if "vnc_listen" in declared or listen is None:
        listen = spec["vnc_listen"]
    desired["vnc_listen"] = listen if desired["vnc_port"] is not None else None
    return desired


def drift(actual, desired, record, desired_record, declared):
    """(applicable {field: (before, after)}, needs_recreate [field names]) between an
    existing domain (`actual` from domain_xml.read) and `desired` (desired_settings).
    A recreate field is compared when the task declares it and the VM's record holds it
    (VMs virter made have no record)."""
    applicable = dict((key, (actual.get(key), desired[key])) for key in APPLIED_FIELDS
                      if desired[key] != actual.get(key))
    recreate = []
    if record:
        old, new = json.loads(record), json.loads(desired_record)
        recreate = [key for key, options in RECREATE_FIELDS.items()
                    if declared & set(options) and key in old and old[key] != new[key]]
    return applicable, recreate
