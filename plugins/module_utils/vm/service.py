# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The VM service behind virter_vm: converge one VM or a group of them (a task, or an
entry of `vms`) to a declared state, in phases that vm.lab_run runs over all entries of a
module run together. It decides which VMs to keep, make and remove; vm.create makes the
new ones, vm.reclaim takes away what interrupted runs left, vm.teardown removes VMs.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.virter.core.plugins.module_utils._addressing import id_from_mac
from ansible_collections.virter.core.plugins.module_utils._errors import Conflict, undo
from ansible_collections.virter.core.plugins.module_utils._libvirt import call, libvirt
from ansible_collections.virter.core.plugins.module_utils.store.names import local_image_name
from ansible_collections.virter.core.plugins.module_utils.vm import domain_xml, host_limits, lab_run, listing
from ansible_collections.virter.core.plugins.module_utils.vm import spec as vm_spec
from ansible_collections.virter.core.plugins.module_utils.vm.create import Creator
from ansible_collections.virter.core.plugins.module_utils.vm.reclaim import find_leftovers, reclaim
from ansible_collections.virter.core.plugins.module_utils.vm.task import Shared, Task
from ansible_collections.virter.core.plugins.module_utils.vm.teardown import remove_domain, shutdown
from ansible_collections.virter.core.plugins.module_utils.vm.workers import parallel


class VmService:
    """One VM, group or entry of `vms`, converged in phases that vm.lab_run runs for all
    the entries of a module run together (run() is a run of this one)."""

    def __init__(self, conn, params, check_mode, shared=None, label=None):
        self.label = label  # how errors name the entry of `vms`, None for a task of one
        self.task = Task(conn, params, check_mode, shared)
        self.creator = Creator(self.task)
        self.reboot_needed = False
        self._drift = {}  # vm -> {field: (before, after)} applied to its definition
        self.keep, self.create, self.removing, self.before = [], [], [], {}
        self.made = []
        self._leftovers = ((), ())
        self._plan = None

    def run(self):
        return lab_run.converge([self])

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

    def targets(self):
        """Work out which VMs the task keeps, makes and removes, changing nothing."""
        self.keep, self.create, self.removing = self._targets()
        self.before = dict((vm, self._state_of(vm)) for vm in [vm for vm, _id in self.keep] + self.removing)
        if self.absent():
            self.keep, self.create, self.removing = [], [], list(self.before)

    def absent(self):
        return self.task.params["state"] == "absent"

    def check(self, freed):
        """Everything the task needs, checked before anything changes; `freed`: the VMs the
        module run removes before it creates any."""
        for vm in self.removing:
            self._check_removable(vm)
        if self.absent():
            return
        for vm, _id in self.keep:
            self._check_owned(vm)
            _desired, applicable, recreate, vm_id = self._drift_of(vm)
            self._refuse(vm, applicable, recreate)
            if recreate:
                self.creator.check([(vm, vm_id)], freed=[vm], replacing=[vm])
        self._leftovers = find_leftovers(self.task)
        if self.create:
            self._plan = self.creator.check(self.create, freed=freed, leftovers=self._leftovers)

    def plan_model(self):
        """The access network's model, as the checks read it."""
        return self._plan["model"]

    def leftover_hosts(self):
        return self._leftovers[0]

    def ensure_image(self):
        if self.create:
            self._plan = self.creator.with_image(self._plan)

    def reclaim(self):
        """Take away what interrupted runs left (for state absent: once the VMs are gone)."""
        reclaim(self.task, find_leftovers(self.task) if self.absent() else self._leftovers)

    def start_creation(self, keygen, workers, locked):
        """Claim and make the new VMs on `workers` (vm.create: Creator.start); check mode
        only counts them."""
        if self.task.check_mode:
            self.task.changed = True
            self.made = [vm for vm, _id in self.create]
        else:
            self.creator.start(self.create, self._plan, keygen, workers, locked)

    def starts(self):
        return self.task.params["state"] == "running" and not self.task.check_mode

    def converge_kept(self):
        for vm, _id in self.keep:
            self._converge(vm)

    def names(self):
        """The task's VMs once made, by id, as group members are counted: creation
        finishes in any order."""
        return sorted([vm for vm, _id in self.keep] + [vm for vm in self.made if vm], key=self._id_of)

    def describe(self, models):
        names = self.names()
        return self._describe(names, models) + [self._unknown()] * (len(self.made) - len(
            [vm for vm in self.made if vm]))

    def _id_of(self, vm):
        """The VM's id, or -1 for one not made yet (check mode)."""
        info = self.task.domains.get(vm, (None, {}))[1]
        return id_from_mac(info["mac"]) if info.get("mac") else -1

    def _state_of(self, vm):
        dom, _info = self.task.domains[vm]
        return "running" if dom.isActive() else "stopped"

    def diff_before(self):
        return dict((vm, self._diff_side(vm, state, 0)) for vm, state in self.before.items())

    def diff_after(self, vm):
        return self._diff_side(vm, self.task.params["state"], 1)

    def _diff_side(self, vm, state, side):
        """A VM's state and, where drift was applied, the fields before (0) or after (1)."""
        side_of = dict((key, values[side]) for key, values in self._drift.get(vm, {}).items())
        return dict(side_of, state=state)

    def _describe(self, names, models):
        task = self.task
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
        if self.starts():
            # All at once at the end: a running (emulated) guest would slow the rest down.
            parallel(self.start_new, made, "start VM")
        return made

    def start_new(self, vm):
        """Start a VM this task made; one that does not start is removed again."""
        try:
            self.set_state(vm, "running")
        except Exception:
            undo(self.remove, vm)
            raise

    # -- existing VMs ---------------------------------------------------------------

    def _drift_of(self, vm):
        """(desired settings, applicable drift, fields that need a new VM, the wanted id)."""
        task = self.task
        _dom, info = task.domains[vm]
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
        return desired, applicable, recreate, wanted_id if wanted_id is not None else vm_id

    def _refuse(self, vm, applicable, recreate):
        """Refuse drift the task cannot apply."""
        if recreate and not self.task.params["recreate"]:
            raise Conflict("VM %s differs from the task in %s, which only a new VM can change: set "
                           "recreate: true to replace it" % (vm, ", ".join(recreate)))
        if not recreate and ("memory" in applicable or "vcpus" in applicable):
            host_limits.check(self.task.spec, self.task.host(), vm)

    def _converge(self, vm):
        desired, applicable, recreate, vm_id = self._drift_of(vm)
        self._refuse(vm, applicable, recreate)
        if recreate:
            create = [(vm, vm_id)]
            plan = self.creator.plan(create, freed=[vm], replacing=[vm])
            self.remove(vm)
            self._create(create, plan)
            return
        if applicable:
            self._apply(vm, self.task.domains[vm][0], applicable, desired)

    def _apply(self, vm, dom, applicable, desired):
        """Apply drift {field: (before, after)} to the definition of `vm`; a running VM
        takes it at its next boot."""
        task = self.task
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

    def set_state(self, vm, state):
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


def run(conn, params, check_mode):
    """virter_vm's task: one VM or group, or with `vms` a lab of them in one run."""
    if params.get("vms") is None:
        return VmService(conn, params, check_mode).run()
    shared = Shared(conn)
    return lab_run.converge(lab_run.services(params, lambda entry, label: VmService(
        conn, entry, check_mode, shared, label)))
