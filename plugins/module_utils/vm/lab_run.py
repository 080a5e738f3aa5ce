# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One module run of virter_vm over its entries (those of `vms`, or the task itself):
every entry checked before anything changes, then the removals, one claim pass whose
VMs are made while the next are claimed, one start pass and one wait for all VMs.
The entries are vm.service.VmService objects; this file runs their phases together.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from ansible_collections.virter.core.plugins.module_utils._addressing import parse_cidr
from ansible_collections.virter.core.plugins.module_utils._errors import Conflict, InvalidInput, VirterError
from ansible_collections.virter.core.plugins.module_utils.vm import claims, listing, ready
from ansible_collections.virter.core.plugins.module_utils.vm.workers import Workers, parallel


def entries(params):
    """The params of each entry of `vms`: the keys it sets over the task's options."""
    if params.get("name") is not None:
        raise InvalidInput("name and vms exclude each other: name each VM or group in its entry of vms")
    defaults = dict((key, value) for key, value in params.items() if key != "vms")
    return [dict(defaults, **dict((key, value) for key, value in entry.items() if value is not None))
            for entry in params["vms"]]


def services(params, make):
    """make(entry params, label) for each entry of `vms`; an entry whose options are bad
    fails naming it."""
    made = []
    for index, entry in enumerate(entries(params)):
        label = "vms[%d] (%s)" % (index, entry.get("name"))
        with named(label):
            made.append(make(entry, label))
    return made


@contextmanager
def named(label):
    """Errors raised inside name the entry `label` (None: a task of one entry)."""
    try:
        yield
    except VirterError as exc:
        if label:
            exc.msg = "%s: %s" % (label, exc.msg)
            exc.args = (exc.msg,)
        raise


def converge(services):
    """Converge every entry of `services`; the module's result."""
    for service in services:
        with named(service.label):
            service.targets()
    _check_names(services)
    _check_fixed_ids(services)
    for service in services:
        with named(service.label):
            service.check(_freed(services, service))
    _check_enough_ids(services)
    for service in services:
        with named(service.label):
            service.ensure_image()
    parallel(_remove, [(service, vm) for service in services for vm in service.removing], "remove VM")
    for service in services:
        service.reclaim()
    _create(services)
    # All at once at the end: a running (emulated) guest would slow the rest down.
    parallel(_start_new, [(service, vm) for service in services if service.starts() for vm in service.made],
             "start VM")
    for service in services:
        service.converge_kept()
    parallel(_set_state, [(service, vm) for service in services for vm in service.names()], "set VM state")
    described = _describe(services)
    _wait(services, described)
    return _result(services, described)


def _remove(job):
    job[0].remove(job[1])


def _start_new(job):
    job[0].start_new(job[1])


def _set_state(job):
    job[0].set_state(job[1], job[0].task.params["state"])


# -- checks across entries ----------------------------------------------------------

def _check_names(services):
    """No two entries name the same VM, and no entry is named like a member of a group."""
    by_name = {}
    for service in services:
        name = service.task.params["name"]
        if name in by_name:
            raise InvalidInput("%s and %s have the same name: give each entry a name of its own"
                               % (by_name[name].label, service.label))
        by_name[name] = service
    for group in [service for service in services if service.task.group() is not None]:
        prefix = group.task.params["name"] + "-"
        for service in services:
            name = service.task.params["name"]
            if name.startswith(prefix) and name[len(prefix):].isdigit():
                raise Conflict("%s is named like a member of group %s (%s): choose another name"
                               % (service.label, group.task.params["name"], group.label))


def _fixed_ids(service):
    params = service.task.params
    if service.absent() or params.get("id") is None:
        return set()
    return set(range(params["id"], params["id"] + (1 if params.get("count") is None else params["count"])))


def _check_fixed_ids(services):
    """No two entries on one network ask for the same id."""
    for index, service in enumerate(services):
        for other in services[:index]:
            same = _fixed_ids(service) & _fixed_ids(other)
            network = service.task.params["network"]
            if same and other.task.params["network"] == network:
                raise Conflict("%s and %s both ask for id %d on network %s: give each entry ids of its own"
                               % (other.label, service.label, min(same), network))


def _freed(services, service):
    """The VMs removed before `service`'s are made: its own, and those of the other
    entries on its access network."""
    domains, network = service.task.domains, service.task.params["network"]
    return list(service.removing) + [vm for other in services if other is not service for vm in other.removing
                                     if domains[vm][1]["network"] == network]


def _check_enough_ids(services):
    """The new VMs of the entries on one access network fit its free ids together (each
    entry's check counted its own)."""
    by_network = {}
    for service in services:
        if service.create:
            key = (service.task.params["network"], service.task.params["static_dhcp"])
            by_network.setdefault(key, []).append(service)
    for group in by_network.values():
        if len(group) < 2:
            continue
        task, model = group[0].task, group[0].plan_model()
        create = [job for service in group for job in service.create]
        freed = [vm for service in group for vm in _freed(services, service)]
        reclaimed = [host["mac"] for service in group for host in service.leftover_hosts()]
        taken, premade = claims.ids_in_use(task, model, freed, reclaimed)
        taken |= set(vm_id for _vm, vm_id in create if vm_id is not None)
        claims.check_enough(task, model, parse_cidr(model["cidr"]), create, taken, premade, task.domains, freed)


# -- creation, description, waiting -------------------------------------------------

def _create(services):
    """One claim pass over all entries, entries with fixed ids first (so that no free id
    another entry takes is one of them); each VM is made while the next is claimed. The
    static_dhcp entries on one network claim and define under one hold of its lock."""
    creating = sorted([service for service in services if service.create],
                      key=lambda service: all(vm_id is None for _vm, vm_id in service.create))
    static = {}
    for service in creating:
        if service.task.params["static_dhcp"] and not service.task.check_mode:
            static.setdefault((service.task.params["network"], service.task.params["pool"]), []).append(service)
    locked = [service for group in static.values() for service in group]
    started = []
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as keygen:
        try:
            for service in creating:
                if service not in locked:
                    _start(service, keygen, started)
            for group in static.values():
                with group[0].creator.static_lock(group[0].plan_model()):
                    first = len(started)
                    for service in group:
                        _start(service, keygen, started, locked=True)
                    _join(started[first:])
        finally:
            _join(started)


def _start(service, keygen, started, locked=False):
    started.append((service, Workers("create VM")))
    with named(service.label):
        service.start_creation(keygen, started[-1][1], locked)


def _join(started):
    """Join every entry's workers (their results are the VMs made); then raise the first error."""
    errors = []
    for service, workers in started:
        try:
            made = workers.join()
        except Exception as exc:  # pylint: disable=broad-except  # raised once all are joined
            errors.append(exc)
        else:
            if not service.task.check_mode:
                service.made = made
    if errors:
        raise errors[0]


def _describe(services):
    if not services:
        return []
    task = services[0].task
    if not task.check_mode:
        task.reread_domains()
    names = [vm for service in services for vm in service.names()]
    models = listing.network_models(task.conn, [task.domains[vm][1]["network"] for vm in names if vm in task.domains])
    return [service.describe(models) for service in services]


def _wait(services, described):
    """Wait for the running VMs; entries with the same wait settings in one wait."""
    waits = {}
    for service, vms in zip(services, described):
        if service.starts():
            params = service.task.params
            key = (params["wait_for"], params["wait_timeout"], service.task.key_file)
            waits.setdefault(key, []).extend(vm for vm in vms if vm["name"])
    if waits:
        uri = services[0].task.conn.getURI()
        parallel(lambda item: ready.wait(item[1], item[0][0], item[0][1], item[0][2], uri), list(waits.items()),
                 "wait for VMs")


def _result(services, described):
    vms = [vm for part in described for vm in part]
    before, after = {}, {}
    for service, part in zip(services, described):
        before.update(service.diff_before())
        for vm in part:
            after[vm["name"] or "(new %d)" % len(after)] = service.diff_after(vm["name"])
    return {
        "changed": any(service.task.changed for service in services),
        "reboot_needed": any(service.reboot_needed for service in services),
        "vms": vms,
        "known_hosts": [line for vm in vms for line in vm["known_hosts_lines"]],
        "diff": {"before": {"vms": before}, "after": {"vms": after}},
    }
