# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Making new VMs: the checks that they can be made (before anything changes), then
for each an id claimed on the access network, an empty qcow2 overlay on the image's top
layer, a NoCloud seed with pinned host keys, and a domain; several are made at once on
one connection. A VM whose creation fails leaves nothing behind.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import uuid
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.virter.core.plugins.module_utils.locks import volume_lock
from ansible_collections.virter.core.plugins.module_utils import _keys
from ansible_collections.virter.core.plugins.module_utils.network import reservations
from ansible_collections.virter.core.plugins.module_utils._addressing import parse_cidr
from ansible_collections.virter.core.plugins.module_utils._errors import Conflict, InvalidInput, NotFound, undo
from ansible_collections.virter.core.plugins.module_utils._libvirt import call, lookup_network, on_hypervisor
from ansible_collections.virter.core.plugins.module_utils.store.pool_io import upload_bytes
from ansible_collections.virter.core.plugins.module_utils.store.store import Store
from ansible_collections.virter.core.plugins.module_utils.store.names import layer_volume
from ansible_collections.virter.core.plugins.module_utils.vm import claims, cloudinit, domain_xml, host_limits, listing
from ansible_collections.virter.core.plugins.module_utils.vm import image as vm_image
from ansible_collections.virter.core.plugins.module_utils.vm import spec as vm_spec
from ansible_collections.virter.core.plugins.module_utils.vm.leftovers import work_volumes
from ansible_collections.virter.core.plugins.module_utils.vm.teardown import delete_volumes
from ansible_collections.virter.core.plugins.module_utils.vm.workers import Workers


class Creator:
    def __init__(self, task):
        self.task = task

    # -- checks ---------------------------------------------------------------------

    def plan(self, create, freed=(), replacing=(), leftovers=((), ())):
        """check() and with_image(): the plan to make `create`."""
        return self.with_image(self.check(create, freed, replacing, leftovers))

    def check(self, create, freed=(), replacing=(), leftovers=((), ())):
        """Check that `create` [(name, id)] can be made, changing nothing; `freed` are VMs
        removed first, `replacing` VMs that the new ones replace (same names), `leftovers`
        what interrupted runs left, reclaimed first. The plan, but for the image."""
        task = self.task
        if task.spec["image"] is None:
            raise InvalidInput("image is required to create VM %s" % (create[0][0] or task.params["name"]))
        store = Store(task.conn, task.params["pool"])
        _net, model = reservations.access_network(task.conn, task.params["network"])
        host_limits.check(task.spec, task.host(), create[0][0] or task.params["name"])
        self._check(create, model, freed, replacing, [host["mac"] for host in leftovers[0]])
        return {"store": store, "model": model}

    def with_image(self, plan):
        """`plan` with the image made present (pulled as pull_policy says) and its top layer."""
        task = self.task
        image, top = vm_image.ensure(task.conn, plan["store"], task.spec["image"], task.params, task.check_mode)
        return dict(plan, image=image, top=top)

    def _check(self, create, model, freed, replacing, reclaimed):
        task = self.task
        iface = parse_cidr(model["cidr"])
        others = dict((vm, entry) for vm, entry in task.domains.items() if vm not in replacing)
        taken, premade = claims.ids_in_use(task, model, freed, reclaimed)
        for vm, vm_id in create:
            if vm is not None and vm in others:
                raise Conflict("domain %s exists and is not a member of group %s" % (vm, task.params["name"]))
            if vm is not None:
                self.check_volumes_free(vm, others)
            if vm_id is not None:
                claims.check_id(task, model, iface, vm_id, taken, premade, others)
        claims.check_enough(task, model, iface, create, taken, premade, others, freed)
        self._check_disks_and_nics(len(create))

    def _check_disks_and_nics(self, count):
        task = self.task
        stores, raw = {}, {}
        for disk in task.spec["disks"]:
            if disk["pool"] not in stores:  # a missing disk pool fails before anything changes
                stores[disk["pool"]] = Store(task.conn, disk["pool"])
            if disk["format"] == "raw":  # allocated in full when made
                raw[disk["pool"]] = raw.get(disk["pool"], 0) + disk["size"] * count
        for pool, size in raw.items():
            available = stores[pool].available()
            if size > available:
                raise Conflict("the raw disks of %d new VMs need %d MiB in storage pool %s, which has %d MiB free"
                               % (count, size >> 20, pool, available >> 20))
        for nic in task.spec["nics"]:
            if nic["type"] == "network" and lookup_network(task.conn, nic["source"]) is None:
                raise NotFound("network %s of an extra NIC does not exist" % nic["source"])

    def check_volumes_free(self, vm, domains):
        """Refuse a VM whose volume names another domain uses: virter names extra disks
        <vm>-<disk>, so VM `a-b` and disk `b` of VM `a` would share one."""
        task = self.task
        pools = [task.params["pool"]] * 2 + [disk["pool"] for disk in task.spec["disks"]]
        wanted = set(zip(pools, work_volumes(vm, task.spec["disks"])))
        for other, (_dom, info) in domains.items():
            clash = wanted & set(info["volumes"])
            if clash and other != vm:
                raise Conflict("volume %s of VM %s is in use by domain %s: choose another VM or disk name"
                               % (sorted(clash)[0][1], vm, other))

    # -- creation -------------------------------------------------------------------

    def create_all(self, create, plan):
        """Create the VMs of `plan` concurrently, not started; returns their names (None
        for an auto id in check mode, where the name is not known yet)."""
        task = self.task
        task.changed = True
        if task.check_mode:
            return [vm for vm, _id in create]
        workers = Workers("create VM")
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as keygen:
            try:
                self.start(create, plan, keygen, workers)
            finally:
                made = workers.join()
        return made

    def start(self, create, plan, keygen, workers, locked=False):
        """Claim the ids of `create` and make each VM of `plan` on `workers` (their results
        are the names); host keys are made on the executor `keygen`. Not in check mode.
        With static_dhcp the VMs are made under the access network's lock (static_lock), held
        here unless the caller holds it (`locked`) and joins `workers` before letting go."""
        task = self.task
        if task.params["static_dhcp"] and not locked:
            with self.static_lock(plan["model"]):
                self.start(create, plan, keygen, workers, locked=True)
                workers.join()
            return
        task.changed = True
        build = self._build(plan)
        claimed = []

        def make(job):
            claim, host_keys = job
            return self._create(build, claim, self._index(claimed, claim), host_keys)

        # Host keys cost CPU and not the id: made beside the claims, before any VM runs.
        host_keys = [keygen.submit(_keys.generate_host_keys) for _job in create]
        if task.params["static_dhcp"]:
            claimed.extend(claims.claim_static(task, vm, vm_id, plan["model"]) for vm, vm_id in create)
            for job in zip(claimed, host_keys):
                workers.start(make, job)
            return
        # Claims one after another: libvirt applies network updates one at a time anyway,
        # and this task's claims never refuse each other. Each VM is made while the next
        # one is claimed, unless fixed ports need every id first.
        fixed_ports = task.spec["vnc_port"] is not None or task.spec["gdb_port"] is not None
        for (vm, vm_id), keys in zip(create, host_keys):
            claimed.append(claims.claim(task, vm, vm_id))
            if not fixed_ports:
                workers.start(make, (claimed[-1], keys))
        if fixed_ports:
            for job in zip(claimed, host_keys):
                workers.start(make, job)

    def static_lock(self, model):
        """The lock of static_dhcp claims on the access network, held in the hypervisor's
        libvirt (whatever machine the module runs on): the defined domain is what marks a
        pre-made entry as taken, so claims and definitions happen under it."""
        lock = volume_lock.static_dhcp_lock(model["name"])
        return volume_lock.held(self.task.conn, self.task.params["pool"], lock)

    def _build(self, plan):
        """What every new VM of the task is made from."""
        task = self.task
        build = dict(plan, authorized=task.authorized(create=True))
        if on_hypervisor(task.conn):
            for mount in task.spec["mounts"]:
                os.makedirs(mount["host"], exist_ok=True)  # as virter does (mkdir -p)
        # The same for every VM of the task: read each extra NIC's network once.
        build["network_config"] = cloudinit.network_config([_network_has_dhcp(task.conn, nic)
                                                            for nic in task.spec["nics"]])
        build["capacity"] = max(plan["store"].volumes()[layer_volume(plan["top"])].capacity,
                                task.spec["boot_capacity"])
        return build

    def _index(self, claimed, claim):
        """The 0-based position of a new member among its whole group, by id."""
        ids = sorted(set(self.task.member_ids()) | set(c[1] for c in claimed))
        return ids.index(claim[1])

    def _create(self, build, claim, index, host_keys):
        """Define the VM of `claim` with the host keys the future `host_keys` gives; when
        that fails, nothing of it stays behind."""
        made = []
        try:
            return self._define(build, claim, index, host_keys, made)
        except Exception:
            undo(self._roll_back, claim, made)
            raise

    def _define(self, build, claim, index, host_keys, made):
        """The volumes (each added to `made` once it exists) and the domain of `claim`; the
        boot volume is made while the host keys may still be in the making."""
        task, store, pool = self.task, build["store"], self.task.params["pool"]
        vm, vm_id, mac, _ip = claim
        with task.lock:
            self.check_volumes_free(vm, dict(task.domains))
        boot, seed = work_volumes(vm)[:2]
        store.create(boot, build["capacity"], "qcow2", build["top"])
        made.append((pool, boot))
        host_keys = host_keys.result()  # made meanwhile
        vnc_port, gdb_port = vm_spec.member_ports(task.spec, vm_id, index)
        instance = str(uuid.uuid4())
        files = {
            "meta-data": cloudinit.meta_data(instance, vm),
            "user-data": cloudinit.user_data(vm, build["model"]["domain"], build["authorized"], host_keys,
                                             task.spec["mounts"], task.params.get("user_data"), user=task.spec["user"]),
        }
        if build["network_config"]:
            files["network-config"] = build["network_config"]
        seed_data = cloudinit.seed_iso(files)
        seed_vol = store.create(seed, len(seed_data), "raw")
        made.append((pool, seed))
        upload_bytes(task.conn, seed_vol, seed_data)
        disks = []
        for disk, volume in zip(task.spec["disks"], work_volumes(vm, task.spec["disks"])[2:]):
            Store(task.conn, disk["pool"]).create(volume, disk["size"], disk["format"])
            made.append((disk["pool"], volume))
            disks.append(dict(disk, volume=volume))
        record = vm_spec.recreate_record(dict(task.spec, image=build["image"]), gdb_port, build["authorized"][0])
        xml = domain_xml.build(dict(
            task.spec, name=vm, uuid=instance, virt_type=task.host()["virt_type"], host_key=host_keys["rsa_public"],
            host_key_ed25519=host_keys["ed25519_public"],
            group=task.group(), image=build["image"], record=record, pool=pool, boot_volume=boot,
            seed_volume=seed, disks=disks, mac=mac, network=task.params["network"],
            console_file=self._console_file(vm), vnc_port=vnc_port, gdb_port=gdb_port))
        dom = call("define VM %s" % vm, task.conn.defineXML, xml)
        with task.lock:
            task.domains[vm] = (dom, domain_xml.read(xml))
        return vm

    def _console_file(self, vm):
        if self.task.spec["console_dir"]:
            self.task.make_console_dir()
        return self.task.console_path(vm)

    def _roll_back(self, claim, made):
        """Undo what a failed creation made: the `made` volumes and the host entry that
        `claim` reserved (static_dhcp entries stay)."""
        task = self.task
        if not task.params["static_dhcp"]:
            reservations.release(task.conn, task.params["network"], claim[2])
        delete_volumes(task.conn, made)


def _network_has_dhcp(conn, nic):
    if nic["type"] != "network":
        return False
    model = listing.network_models(conn, [nic["source"]])[nic["source"]]
    return bool(model and model["ranges"])
