# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ids of new VMs on the access network: the checks that the ids a task asks for
are free (before anything changes), and their claiming. A claim reserves a host entry
named after the VM (network.reservations.reserve); with static_dhcp it takes a pre-made
entry whose MAC no domain uses, under the network's lock in the hypervisor.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.virter.core.plugins.module_utils.network import reservations
from ansible_collections.virter.core.plugins.module_utils.network import plan
from ansible_collections.virter.core.plugins.module_utils._addressing import id_from_mac, ip_for_id, mac_for_id, parse_cidr
from ansible_collections.virter.core.plugins.module_utils._errors import Conflict
from ansible_collections.virter.core.plugins.module_utils.vm import listing
from ansible_collections.virter.core.plugins.module_utils.vm.spec import member_name


def ids_in_use(task, model, freed, reclaimed):
    """(taken ids, pre-made ids) of `model`'s network once the entries of the `freed` VMs
    this task removes first (with static_dhcp they stay) and the `reclaimed` MACs that
    interrupted runs left are gone."""
    gone = [] if task.params["static_dhcp"] else [task.domains[vm][1]["mac"] for vm in freed]
    gone += list(reclaimed)
    return plan.used_ids(model, except_macs=gone), plan.premade_ids(model)


def check_id(task, model, iface, vm_id, taken, premade, others):
    """Refuse fixed id `vm_id` when it is outside the subnet, taken, or (static_dhcp)
    has no pre-made entry; `others` are the domains the new VM does not replace."""
    ip_for_id(iface, vm_id)  # raises when the id is outside the subnet
    mac = mac_for_id(vm_id)
    if task.params["static_dhcp"]:
        if vm_id not in premade:
            raise Conflict("no DHCP host entry for id %d on network %s (static_dhcp): create it "
                           "with virter_network dhcp_ids" % (vm_id, model["name"]))
    elif vm_id in taken:
        raise Conflict("id %d is taken on network %s" % (vm_id, model["name"]))
    if any(info["mac"] == mac for _dom, info in others.values()):
        raise Conflict("id %d is used by another domain (MAC %s)" % (vm_id, mac))


def check_enough(task, model, iface, create, taken, premade, others, freed):
    """Refuse `create` when its auto ids outnumber the free ids (or free pre-made entries)."""
    auto = len([vm_id for _vm, vm_id in create if vm_id is None])
    if auto and task.params["static_dhcp"]:
        free = len(free_premade(premade, others, create, freed))
        if free < auto:
            raise Conflict("network %s has %d free DHCP host entries, %d VMs need one (static_dhcp): add "
                           "entries with virter_network dhcp_ids" % (model["name"], free, auto))
    elif auto:
        free = reservations.free_id_count(iface, taken)
        if free < auto:
            raise Conflict("network %s (%s) has %d free ids, %d VMs need one" % (
                model["name"], model["cidr"], free, auto))


def free_premade(premade, domains, create, freed):
    """Pre-made entries that auto ids of `create` can claim: no other domain (and no
    fixed id of this task) uses them; those of `freed` VMs are free again."""
    used = set(id_from_mac(info["mac"]) for vm, (_dom, info) in domains.items() if vm not in freed)
    used |= set(vm_id for _vm, vm_id in create if vm_id is not None)
    return sorted(premade - used)


def claim(task, vm, vm_id):
    """(name, id, mac, ip) of a new VM, its host entry reserved (named after it)."""
    if vm is None:
        # A group member with an auto id: its name follows from the id it gets.
        group = task.params["name"]
        vm_id, mac, ip = reservations.reserve(task.conn, task.params["network"],
                                              name_for=lambda i: member_name(group, i))
        return member_name(group, vm_id), vm_id, mac, ip
    vm_id, mac, ip = reservations.reserve(task.conn, task.params["network"], vm_id=vm_id, name=vm)
    return vm, vm_id, mac, ip


def claim_static(task, vm, vm_id, model):
    """(name, id, mac, ip): a pre-made host entry whose MAC no domain and no other claim of
    the run uses; the caller holds the network's lock."""
    iface = parse_cidr(model["cidr"])
    claimed = task.static_claimed()
    used = set(info["mac"] for _dom, info in listing.domains(task.conn).values())
    used |= set(mac_for_id(c) for c in claimed)
    candidates = [vm_id] if vm_id is not None else sorted(plan.premade_ids(model))
    for candidate in candidates:
        mac = mac_for_id(candidate)
        if mac not in used:
            claimed.add(candidate)
            name = vm or member_name(task.params["name"], candidate)
            return name, candidate, mac, ip_for_id(iface, candidate)
    raise Conflict("no free DHCP host entry on network %s (static_dhcp)" % model["name"])
