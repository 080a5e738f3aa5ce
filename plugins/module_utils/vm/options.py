# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""virter_vm's options, one row each: the argument spec entry, how a change reaches an
existing VM, and what a new VM gets when the task leaves the option out. The module's
argument spec and the drift lists of vm/spec.py come from here; the module's DOCUMENTATION
says the same (unit tests compare them).

An existing VM is compared only on the options the task declares (sets to a value), so an
option with a `change` has no argument-spec default: a default would declare it in every task.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from collections import namedtuple

from ansible.module_utils.basic import env_fallback

APPLIED = "applied"  # written to the persistent definition: a running VM takes it at its next boot
RECREATE = "recreate"  # only a new VM can change it

# change: APPLIED, RECREATE or None (nothing to compare). fields: the drift fields the
# option declares, as vm/spec.py names them. new_vm: what a new VM gets when the task
# leaves the option out (NO_VALUE: nothing).
Option = namedtuple("Option", "name spec change fields new_vm")
NO_VALUE = object()


def _option(name, spec, change=None, fields=None, new_vm=NO_VALUE):
    if fields is None:
        fields = (name,) if change else ()
    return Option(name, spec, change, fields, new_vm)


OPTIONS = (
    # Required unless the task has `vms` (the module says so), where each entry has one.
    _option("name", {"type": "str"}),
    _option("state", {"type": "str", "choices": ["running", "stopped", "absent"], "default": "running"}),
    _option("image", {"type": "str"}, RECREATE),
    _option("pull_policy", {"type": "str", "choices": ["IfNotExist", "Always", "Never"], "default": "IfNotExist"}),
    # Compared with the VM's MAC by the service, not through the drift record.
    _option("id", {"type": "int"}, RECREATE, fields=()),
    _option("count", {"type": "int"}),
    _option("static_dhcp", {"type": "bool", "default": False,
                            "fallback": (env_fallback, ["VIRTER_LIBVIRT_STATIC_DHCP"])}),
    _option("memory", {"type": "str"}, APPLIED, new_vm="1G"),
    _option("vcpus", {"type": "int"}, APPLIED, new_vm=1),
    _option("boot_capacity", {"type": "str"}, RECREATE, new_vm="10G"),
    _option("disks", {"type": "list", "elements": "dict", "options": {
        "name": {"type": "str", "required": True},
        "size": {"type": "str", "required": True},
        "format": {"type": "str", "choices": ["qcow2", "raw"], "default": "qcow2"},
        "bus": {"type": "str", "choices": ["virtio", "scsi", "ide"], "default": "virtio"},
        "pool": {"type": "str"},
    }}, RECREATE, new_vm=[]),
    _option("nics", {"type": "list", "elements": "dict", "options": {
        "type": {"type": "str", "choices": ["network", "bridge"], "default": "network"},
        "source": {"type": "str", "required": True},
        "model": {"type": "str", "default": "virtio"},
        "mac": {"type": "str"},
    }}, RECREATE, new_vm=[]),
    _option("mounts", {"type": "list", "elements": "dict", "options": {
        "host": {"type": "path", "required": True},
        "vm": {"type": "str", "required": True},
    }}, RECREATE, new_vm=[]),
    _option("console_dir", {"type": "path"}, APPLIED, fields=("console_file",)),
    _option("gdb_port", {"type": "int"}, RECREATE),
    _option("vnc", {"type": "bool"}, APPLIED, fields=("vnc_port", "vnc_listen"), new_vm=False),
    _option("vnc_port", {"type": "int"}, APPLIED, fields=("vnc_port", "vnc_listen")),
    _option("vnc_listen", {"type": "str"}, APPLIED, new_vm="127.0.0.1"),
    _option("user", {"type": "str"}, RECREATE, new_vm="root"),
    _option("ssh_public_keys", {"type": "list", "elements": "str", "no_log": False}, RECREATE, new_vm=[]),
    _option("user_data", {"type": "dict"}, RECREATE),
    _option("ssh_private_key_file", {"type": "path", "no_log": False}, RECREATE, fields=("key_pair",)),
    _option("virt_type", {"type": "str", "choices": ["auto", "kvm", "qemu"]}, RECREATE, new_vm="auto"),
    _option("arch", {"type": "str", "choices": ["amd64", "arm64", "ppc64le", "s390x"]}, RECREATE, new_vm="amd64"),
    _option("secure_boot", {"type": "bool"}, RECREATE, new_vm=False),
    _option("disk_cache", {"type": "str",
                           "choices": ["default", "none", "writethrough", "writeback", "directsync", "unsafe"]},
            APPLIED),
    _option("wait_for", {"type": "str", "choices": ["ready", "ssh", "none"], "default": "ready"}),
    _option("wait_timeout", {"type": "int", "default": 300}),
    _option("shutdown_timeout", {"type": "int", "default": 60}),
    _option("recreate", {"type": "bool", "default": False}),
    # Without a default (the common one is replaced): a task without it leaves an existing
    # VM's network alone; a new VM gets the environment's, else "default" (spec.with_defaults).
    # Compared with the access NIC by the service, not through the drift record.
    _option("network", {"type": "str"}, RECREATE, fields=()),
    _option("force", {"type": "bool", "default": False}),
)


def argument_spec():
    """virter_vm's own options (the common and registry ones come on top)."""
    spec = dict((option.name, option.spec) for option in OPTIONS)
    spec["vms"] = {"type": "list", "elements": "dict", "options": entry_spec()}
    return spec


def entry_spec():
    """The options of an entry of `vms`: those of the table and the storage pool, without
    defaults (the task's options are the entries' defaults) and with a name of its own."""
    spec = dict((option.name, dict((key, value) for key, value in option.spec.items()
                                   if key not in ("default", "fallback")))
                for option in OPTIONS)
    spec["name"] = dict(spec["name"], required=True)
    spec["pool"] = {"type": "str"}
    return spec


def drift_fields(change):
    """{drift field: (the options that declare it)} of the options with `change`, in
    table order."""
    fields = {}
    for option in OPTIONS:
        if option.change == change:
            for field in option.fields:
                fields[field] = fields.get(field, ()) + (option.name,)
    return fields


def new_vm_defaults():
    """{option: what a new VM gets when the task leaves it out}."""
    return dict((option.name, option.new_vm) for option in OPTIONS if option.new_vm is not NO_VALUE)
