# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What runs interrupted before defining a task's VMs left, found on the hypervisor and
taken away (vm.leftovers says which host entries and volumes are the collection's own).

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.virter.core.plugins.module_utils.network import reservations
from ansible_collections.virter.core.plugins.module_utils._errors import NotFound
from ansible_collections.virter.core.plugins.module_utils.store.store import Store
from ansible_collections.virter.core.plugins.module_utils.vm import leftovers, listing
from ansible_collections.virter.core.plugins.module_utils.vm.teardown import delete_volumes


def find_leftovers(task):
    """(host entries, (pool, volume) pairs) that interrupted runs left of `task`'s VMs."""
    if task.group() is None and task.params["name"] in task.domains:
        return [], []  # a VM with a domain left nothing: it was defined
    pool = task.params["pool"]
    present = set()
    for name in set([pool] + [disk["pool"] for disk in task.spec["disks"]]):
        try:
            present |= set((name, volume) for volume in Store(task.conn, name).names())
        except NotFound:
            pass  # nothing left in a pool that is not there
    model = listing.network_models(task.conn, [task.params["network"]]).get(task.params["network"])
    hosts = model["hosts"] if model else []
    vms = leftovers.vm_names(task.params["name"], task.group(), hosts,
                             [volume for where, volume in present if where == pool], task.domains)
    entries = [] if task.params["static_dhcp"] else leftovers.host_entries(hosts, vms)
    used = set(volume for _dom, info in task.domains.values() for volume in info["volumes"])
    return entries, leftovers.unused_volumes(vms, pool, task.spec["disks"], present, used)


def reclaim(task, found):
    """Release the host entries and delete the volumes of `found` (find_leftovers)."""
    entries, volumes = found
    if not (entries or volumes):
        return
    task.changed = True
    if task.check_mode:
        return
    for host in entries:
        reservations.release(task.conn, task.params["network"], host["mac"])
    delete_volumes(task.conn, volumes)
