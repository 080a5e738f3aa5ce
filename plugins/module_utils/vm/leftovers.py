# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The volumes of a VM, and what an interrupted run of virter_vm left of VMs that have no
domain (pure).

The collection's own leftovers of a VM named N that has no domain are:
- the DHCP host entries named N: every entry the collection adds names its VM, so a
  nameless entry (virter's own, or one of virter_network's dhcp_ids) is never one of them;
- its work volumes `virter:work:N`, `virter:work:N-cidata` and `virter:work:N-<disk>` of
  the disks a task declares, when no domain uses them.
A member of group G is a VM named G-<id>: an entry named so with the MAC of that id, or a
boot volume `virter:work:G-<id>`, marks one.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.virter.core.plugins.module_utils._addressing import id_from_mac
from ansible_collections.virter.core.plugins.module_utils.store.names import WORK_PREFIX
from ansible_collections.virter.core.plugins.module_utils.vm.spec import member_name


def work_volumes(vm, disks=()):
    """The boot overlay, the seed and the extra disks of VM `vm`, virter's names."""
    names = [WORK_PREFIX + vm, WORK_PREFIX + vm + "-cidata"]
    return names + [WORK_PREFIX + "%s-%s" % (vm, disk["name"]) for disk in disks]


def vm_names(name, group, hosts, volumes, domains):
    """The VMs without a domain that a task about VM `name` (or, with `group`, about the
    group of that name) may have left: `hosts` are the access network's host entries,
    `volumes` the volume names of the task's pool, `domains` the names of all domains."""
    if group is None:
        return [] if name in domains else [name]
    found = set()
    for host in hosts:
        if host["name"] and host["mac"] and host["name"] == member_name(group, id_from_mac(host["mac"])):
            found.add(host["name"])
    prefix = WORK_PREFIX + group + "-"
    for volume in volumes:
        rest = volume[len(prefix):]
        if volume.startswith(prefix) and rest.isdigit() and not rest.startswith("0"):
            found.add(group + "-" + rest)
    return sorted(found - set(domains))


def host_entries(hosts, vms):
    """The host entries named after one of `vms` (VMs without a domain)."""
    return [host for host in hosts if host["name"] in vms and host["mac"]]


def unused_volumes(vms, pool, disks, present, used):
    """The work volumes of `vms` ((pool, name) pairs: the boot and seed volumes in
    `pool`, each of `disks` in its own) that are `present` and that no domain `used`."""
    wanted = []
    for vm in vms:
        pools = [pool, pool] + [disk["pool"] for disk in disks]
        wanted.extend(zip(pools, work_volumes(vm, disks)))
    return [volume for volume in wanted if volume in present and volume not in used]
