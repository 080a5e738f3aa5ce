# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The virter_vm calls that converge a placed lab: one per hypervisor (and per set of the
task-level options its entries set), each with the hypervisor's entries as `vms`. Pure.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.virter.core.plugins.module_utils.vm.options import entry_spec

# The lab role's own keys of an entry; virter_vm never sees them.
ROLE_KEYS = ("group", "hypervisor")
ENTRY_KEYS = frozenset(entry_spec())


def calls(entries, hypervisors=(), keys=None, start=False, authorized_key=None, local=()):
    """[{hypervisor, task, vms, indexes}]: for each hypervisor, the virter_vm options of the
    task (`uri`, the registry credentials: options an entry cannot carry) and its entries.

    `entries`: the lab's entries; one with `hypervisor` goes there, one without it to every
    host of `hypervisors`. `keys`: the only entry keys passed (None: all but the role's).
    `start`: the start pass (no entry waits; the task says wait_for none). `authorized_key`:
    added to the ssh_public_keys of entries on hypervisors that are not in `local`.
    `indexes[i]`: the index in `entries` of the entry `vms[i]`."""
    made = []
    for index, entry in enumerate(entries):
        for host in [entry["hypervisor"]] if entry.get("hypervisor") is not None else hypervisors:
            task, vm = _split(entry, keys)
            if start:
                vm.pop("wait_for", None)
                task["wait_for"] = "none"
            if authorized_key and host not in local:
                vm["ssh_public_keys"] = list(vm.get("ssh_public_keys") or []) + [authorized_key]
            call = _call(made, host, task)
            call["vms"].append(vm)
            call["indexes"].append(index)
    return made


def _split(entry, keys):
    """The entry's task-level options and its options as an entry of `vms`."""
    passed = dict((key, value) for key, value in entry.items()
                  if key not in ROLE_KEYS and (keys is None or key in keys))
    task = dict((key, value) for key, value in passed.items() if key not in ENTRY_KEYS)
    return task, dict((key, value) for key, value in passed.items() if key in ENTRY_KEYS)


def _call(made, host, task):
    """The call on `host` with these task options, appended to `made` when new."""
    for call in made:
        if call["hypervisor"] == host and call["task"] == task:
            return call
    call = {"hypervisor": host, "task": task, "vms": [], "indexes": []}
    made.append(call)
    return call
