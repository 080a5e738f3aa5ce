# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which hypervisor each entry of a lab goes to. Pure: entries and what the hypervisors
hold in, placed entries out.

PRIVATE to the collection: no stable API.

The rule: an entry's own `hypervisor` wins; else the hypervisor that already has the
entry's VM (or a member of its group) keeps it; else the hypervisor with the fewest VMs,
counting those placed before it in the lab, the first in the list on a tie.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput


def place(entries, hypervisors, found):
    """`entries`: the lab's entries (dicts with `name`, optional `count`, `hypervisor`);
    `hypervisors`: inventory host names in order; `found`: {hypervisor: [VMs as
    virter_vm_info returns them]}. Returns copies of the entries with `hypervisor` set."""
    if not hypervisors:
        raise InvalidInput("the lab has no hypervisor: virter_lab_hypervisors names no host")
    _check_names(entries)
    load = dict((hv, len(found.get(hv) or [])) for hv in hypervisors)
    placed = []
    for entry in entries:
        where = _existing(entry, hypervisors, found)
        pinned = entry.get("hypervisor")
        if pinned is not None:
            if pinned not in load:
                raise InvalidInput("VM %s: hypervisor %s is not one of the lab's hypervisors (%s)"
                                   % (entry["name"], pinned, ", ".join(hypervisors)))
            if where not in (None, pinned):
                raise InvalidInput("VM %s is on hypervisor %s, not on %s as its entry says: remove it there first"
                                   % (entry["name"], where, pinned))
            where = pinned
        if where is None:
            where = min(hypervisors, key=lambda hv: (load[hv], hypervisors.index(hv)))
            load[where] += _size(entry)
        placed.append(dict(entry, hypervisor=where))
    return placed


def _size(entry):
    return 1 if entry.get("count") is None else int(entry["count"])


def _existing(entry, hypervisors, found):
    """The hypervisor that holds the entry's VM or group members, or None."""
    group = entry.get("count") is not None
    hosts = [hv for hv in hypervisors
             if any((vm.get("group") if group else vm.get("name")) == entry["name"] for vm in found.get(hv) or [])]
    if len(hosts) > 1:
        raise InvalidInput("VM %s exists on several hypervisors (%s): remove all but one"
                           % (entry["name"], ", ".join(hosts)))
    return hosts[0] if hosts else None


def _check_names(entries):
    """VM names are unique across the lab: two entries of one name, or a VM named like a
    member of a group (<group>-<n>), fail before anything is made."""
    names = [entry["name"] for entry in entries]
    twice = sorted(set(name for name in names if names.count(name) > 1))
    if twice:
        raise InvalidInput("the lab has several entries named %s: VM names are unique across the lab"
                           % ", ".join(twice))
    groups = [entry["name"] for entry in entries if entry.get("count") is not None]
    # Only a single VM's name can be a member's: a group's own name is not a VM's.
    for name in (entry["name"] for entry in entries if entry.get("count") is None):
        for group in groups:
            suffix = name[len(group) + 1:]
            if name.startswith(group + "-") and suffix.isdigit() and str(int(suffix)) == suffix:
                raise InvalidInput("VM %s would clash with a member of group %s: VM names are unique across the lab"
                                   % (name, group))
