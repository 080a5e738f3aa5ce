# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The VM service behind virter_vm: converge one VM or a group of them to a declared
state. It decides which VMs to keep, make and remove; vm.create makes the new ones,
vm.reclaim takes away what interrupted runs left, vm.teardown removes VMs.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.virter.core.plugins.module_utils._addressing import id_from_mac
from ansible_collections.virter.core.plugins.module_utils._errors import Conflict, undo
from ansible_collections.virter.core.plugins.module_utils._libvirt import call, libvirt
from ansible_collections.virter.core.plugins.module_utils.store.names import local_image_name
from ansible_collections.virter.core.plugins.module_utils.vm import domain_xml, host_limits, listing, ready
from ansible_collections.virter.core.plugins.module_utils.vm import spec as vm_spec
from ansible_collections.virter.core.plugins.module_utils.vm.create import Creator
from ansible_collections.virter.core.plugins.module_utils.vm.reclaim import find_leftovers, reclaim
from ansible_collections.virter.core.plugins.module_utils.vm.task import Task
from ansible_collections.virter.core.plugins.module_utils.vm.teardown import remove_domain, shutdown
from ansible_collections.virter.core.plugins.module_utils.vm.workers import parallel


class VmService:
    def __init__(self, conn, params, check_mode):
        self.task = Task(conn, params, check_mode)
        self.creator = Creator(self.task)
        self.reboot_needed = False
        self._drift = {}  # vm -> {field: (before, after)} applied to its definition

    # -- what the task is about -----------------------------------------------------

    def _targets(self):
        """(keep [(name, id)], create [(name, id)], remove [name]) for this task."""
        params, domains = self.task.params, self.task.domains
        name, count, vm_id = params["name"], params.get("count"), params.get("id")
        if count is None:
            if name in domains:
                return [(name, None)], [], []
            return [], [(name, vm_id)], []
        members = dict((vm, id_from_mac(info["mac"])) for vm, (_dom, info) in domains.items()
                       if info["group"] == name and info["mac"])
        keep, create, remove = vm_spec.group_plan(name, count, vm_id, members)
        return keep, [(vm_spec.member_name(name, i) if i is not None else None, i) for i in create], remove

    def run(self):
        task = self.task
        state = task.params["state"]
        keep, create, remove = self._targets()
        before = dict((vm, self._state_of(vm)) for vm in [vm for vm, _id in keep] + remove)
        if state == "absent":
            self._remove_all(list(before))
            reclaim(task, find_leftovers(task))
            return self._result([], before)
        for vm, _id in keep:
            self._check_owned(vm)
        leftovers = find_leftovers(task)
        # Everything creation needs is checked before anything is removed.
        plan = self.creator.plan(create, freed=remove, leftovers=leftovers) if create else None
        self._remove_all(remove)
        reclaim(task, leftovers)
        new = self._create(create, plan) if create else []
        kept = [vm for vm, _id in keep]
        for vm in kept:
            self._converge(vm)
        # By id, as group members are counted: creation finishes in any order.
        names = sorted(kept + [vm for vm in new if vm], key=self._id_of)
        for vm in names:
            self._set_state(vm, state)
        vms = self._describe(names) + [self._unknown()] * (len(new) - len([vm for vm in new if vm]))
        if state == "running" and not task.check_mode:
            ready.wait([vm for vm in vms if vm["name"]], task.params["wait_for"], task.params["wait_timeout"],
                       task.key_file, task.conn.getURI())
        return self._result(vms, before)

    def _id_of(self, vm):
        """The VM's id, or -1 for one not made yet (check mode)."""
        info = self.task.domains.get(vm, (None, {}))[1]
        return id_from_mac(info["mac"]) if info.get("mac") else -1

    def _state_of(self, vm):
        dom, _info = self.task.domains[vm]
        return "running" if dom.isActive() else "stopped"

    def _result(self, vms, states):
        before = dict((vm, self._diff_side(vm, state, 0)) for vm, state in states.items())
        after = dict((vm["name"] or "(new %d)" % i, self._diff_side(vm["name"], self.task.params["state"], 1))
                     for i, vm in enumerate(vms))
        return {
            "changed": self.task.changed,
            "reboot_needed": self.reboot_needed,
            "vms": vms,
            "known_hosts": [line for vm in vms for line in vm["known_hosts_lines"]],
            "diff": {"before": {"vms": before}, "after": {"vms": after}},
        }

    def _diff_side(self, vm, state, side):
        """A VM's state and, where drift was applied, the fields before (0) or after (1)."""
        side_of = dict((key, values[side]) for key, values in self._drift.get(vm, {}).items())
        return dict(side_of, state=state)

    def _describe(self, names):
        task = self.task
        task.domains = listing.domains(task.conn) if not task.check_mode else task.domains
        models = listing.network_models(task.conn, [task.domains[vm][1]["network"] for vm in names
                                                    if vm in task.domains])
        described = []
        for vm in names:
            dom, info = task.domains.get(vm, (None, None))
            if info is None:  # would be created (check mode)
                described.append(self._unknown(vm))
            else:
                described.append(listing.describe(vm, dom, info, models, task.key_file))
        return described

    def _unknown(self, name=None):
        task = self.task
        return {"name": name, "id": None, "mac": None, "ip": None, "network": task.params["network"],
                "state": task.params["state"], "image": task.spec["image"], "group": task.group(),
                "user": task.spec["user"], "host_key": None, "known_hosts_line": None, "known_hosts_lines": [],
                "ssh_private_key_file": task.key_file, "console_file": None}

    def _check_owned(self, vm):
        _dom, info = self.task.domains[vm]
        if not info["virter"]:
            raise Conflict("domain %s exists and is not a virter VM (no virter metadata): choose another "
                           "name" % vm)

    # -- new VMs --------------------------------------------------------------------

    def _create(self, create, plan):
        """Make `create` as `plan` (Creator.plan) says; with state: running, start them."""
        made = self.creator.create_all(create, plan)
        if self.task.params["state"] == "running" and not self.task.check_mode:
            # All at once at the end: a running (emulated) guest would slow the rest down.
            parallel(self._start_new, made, "start VM")
        return made

    def _start_new(self, vm):
        """Start a VM this task made; one that does not start is removed again."""
        try:
            self._set_state(vm, "running")
        except Exception:
            undo(self.remove, vm)
            raise

    # -- existing VMs ---------------------------------------------------------------

    def _converge(self, vm):
        task = self.task
        dom, info = task.domains[vm]
        vm_id = id_from_mac(info["mac"]) if info["mac"] else None
        index = sorted(i for i in task.member_ids()).index(vm_id) if task.params.get("count") is not None else 0
        vnc_port, gdb_port = vm_spec.member_ports(task.spec, vm_id, index)
        desired = vm_spec.desired_settings(task.spec, info, task.declared, task.console_path(vm), vnc_port)
        image = local_image_name(task.spec["image"]) if task.spec["image"] else info["image"]
        key_pair = task.authorized()[0] if "ssh_private_key_file" in task.declared else None
        record = vm_spec.recreate_record(dict(task.spec, image=image), gdb_port, key_pair)
        applicable, recreate = vm_spec.drift(info, desired, info["record"], record, task.declared)
        wanted_id = task.params.get("id") if task.params.get("count") is None else None
        if wanted_id is not None and vm_id != wanted_id:
            recreate.append("id")
        if "network" in task.declared and info["network"] not in (None, task.params["network"]):
            recreate.append("network")
        if recreate:
            if not task.params["recreate"]:
                raise Conflict("VM %s differs from the task in %s, which only a new VM can change: set "
                               "recreate: true to replace it" % (vm, ", ".join(recreate)))
            create = [(vm, wanted_id if wanted_id is not None else vm_id)]
            plan = self.creator.plan(create, freed=[vm], replacing=[vm])
            self.remove(vm)
            self._create(create, plan)
            return
        if applicable:
            self._apply(vm, dom, applicable, desired)

    def _apply(self, vm, dom, applicable, desired):
        """Apply drift {field: (before, after)} to the definition of `vm`; a running VM
        takes it at its next boot."""
        task = self.task
        if "memory" in applicable or "vcpus" in applicable:
            host_limits.check(task.spec, task.host(), vm)
        task.changed = True
        self._drift[vm] = dict(applicable)
        if task.check_mode:
            self.reboot_needed = self.reboot_needed or bool(dom.isActive())
            return
        if applicable.get("console_file", (None, None))[1]:
            task.make_console_dir()
        if "vnc_port" in applicable or "vnc_listen" in applicable:
            applicable.update(vnc_port=(None, desired["vnc_port"]), vnc_listen=(None, desired["vnc_listen"]))
        xml = domain_xml.apply(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE),
                               dict((key, after) for key, (_before, after) in applicable.items()))
        dom = call("update VM %s" % vm, task.conn.defineXML, xml)
        task.domains[vm] = (dom, domain_xml.read(xml))
        if dom.isActive():
            self.reboot_needed = True

    def _set_state(self, vm, state):
        task = self.task
        dom, _info = task.domains.get(vm, (None, None))
        if dom is None:  # check mode: not created
            return
        active = bool(dom.isActive())
        if state == "running" and not active:
            task.changed = True
            if not task.check_mode:
                call("start VM %s" % vm, dom.create)
        elif state == "stopped" and active:
            task.changed = True
            if not task.check_mode:
                shutdown(vm, dom, task.params["shutdown_timeout"])

    # -- removal --------------------------------------------------------------------

    def _remove_all(self, vms):
        """Remove VMs, each in a thread of its own: libvirt stops them at the same time,
        and one VM's DHCP entry goes while others are still stopping."""
        for vm in vms:
            self._check_removable(vm)
        parallel(self.remove, vms, "remove VM")

    def _check_removable(self, vm):
        domains = self.task.domains
        if vm in domains and not (domains[vm][1]["virter"] or self.task.params["force"]):
            raise Conflict("domain %s is not a virter VM (no virter metadata): not removing it without "
                           "force: true" % vm)

    def remove(self, vm):
        """Domain, work volumes, DHCP entry and lease; image layers nothing else uses."""
        task = self.task
        dom, info = task.domains.get(vm, (None, None))
        if dom is None:
            return
        self._check_removable(vm)
        task.changed = True
        if not task.check_mode:
            remove_domain(task.conn, vm, dom, info, release_dhcp=not task.params["static_dhcp"])
        del task.domains[vm]
