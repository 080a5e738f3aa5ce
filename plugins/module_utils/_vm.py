# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The VM service behind virter_vm: converge one VM or a group of them to a declared
state. New VMs get an id (reserved atomically on the access network), an empty qcow2
overlay on their image's top layer, a NoCloud seed with pinned host keys, and a domain;
several are created concurrently on one connection.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

try:
    import libvirt
except ImportError:
    libvirt = None  # reported by _client.require_libraries()

from ansible_collections.virter.core.plugins.module_utils import (
    _cloudinit, _domain_xml, _host_limits, _hypervisor_lock, _keys, _ready)
from ansible_collections.virter.core.plugins.module_utils import _network, _vm_image, _vm_inventory, _vm_leftovers, _vm_spec
from ansible_collections.virter.core.plugins.module_utils import _network_plan as plan
from ansible_collections.virter.core.plugins.module_utils._addressing import id_from_mac, ip_for_id, mac_for_id, parse_cidr
from ansible_collections.virter.core.plugins.module_utils._errors import (
    Conflict, InvalidInput, LibvirtError, NotFound, undo)
from ansible_collections.virter.core.plugins.module_utils._pool_io import upload_bytes
from ansible_collections.virter.core.plugins.module_utils._store import Store
from ansible_collections.virter.core.plugins.module_utils._store_names import layer_volume, local_image_name
from ansible_collections.virter.core.plugins.module_utils._vm_leftovers import work_volumes
from ansible_collections.virter.core.plugins.module_utils._vm_teardown import call, delete_volumes, remove_domain, shutdown


class VmService:
    def __init__(self, conn, params, check_mode):
        self.conn = conn
        self.params, self.declared = _vm_spec.with_defaults(params, os.environ)
        self.check_mode = check_mode
        self.spec = _vm_spec.check(self.params)
        self.key_file = self.params.get("ssh_private_key_file") or _keys.default_private_key_file()
        self.domains = _vm_inventory.domains(conn)
        self.changed = False
        self.reboot_needed = False
        self._lock = threading.Lock()
        self._static_claimed = set()
        self._drift = {}  # vm -> {field: (before, after)} applied to its definition
        self._host_limits = None

    # -- what the task is about -----------------------------------------------------

    def _targets(self):
        """(keep [(name, id)], create [(name, id)], remove [name]) for this task."""
        name, count, vm_id = self.params["name"], self.params.get("count"), self.params.get("id")
        if count is None:
            if name in self.domains:
                return [(name, None)], [], []
            return [], [(name, vm_id)], []
        members = dict((vm, id_from_mac(info["mac"])) for vm, (_dom, info) in self.domains.items()
                       if info["group"] == name and info["mac"])
        keep, create, remove = _vm_spec.group_plan(name, count, vm_id, members)
        return keep, [(_vm_spec.member_name(name, i) if i is not None else None, i) for i in create], remove

    def run(self):
        state = self.params["state"]
        keep, create, remove = self._targets()
        before = dict((vm, self._state_of(vm)) for vm in [vm for vm, _id in keep] + remove)
        if state == "absent":
            self._remove_all(list(before))
            self._reclaim(self._leftovers())
            return self._result([], before)
        for vm, _id in keep:
            self._check_owned(vm)
        leftovers = self._leftovers()
        # Everything creation needs is checked before anything is removed.
        plan = self._plan_create(create, freed=remove, leftovers=leftovers) if create else None
        self._remove_all(remove)
        self._reclaim(leftovers)
        new = self._create_all(create, plan) if create else []
        kept = [vm for vm, _id in keep]
        for vm in kept:
            self._converge(vm)
        # By id, as group members are counted: creation finishes in any order.
        names = sorted(kept + [vm for vm in new if vm], key=self._id_of)
        for vm in names:
            self._set_state(vm, state)
        vms = self._describe(names) + [self._unknown()] * (len(new) - len([vm for vm in new if vm]))
        if state == "running" and not self.check_mode:
            _ready.wait([vm for vm in vms if vm["name"]], self.params["wait_for"], self.params["wait_timeout"],
                        self.key_file, self.conn.getURI())
        return self._result(vms, before)

    def _id_of(self, vm):
        """The VM's id, or -1 for one not made yet (check mode)."""
        info = self.domains.get(vm, (None, {}))[1]
        return id_from_mac(info["mac"]) if info.get("mac") else -1

    def _state_of(self, vm):
        dom, _info = self.domains[vm]
        return "running" if dom.isActive() else "stopped"

    def _result(self, vms, states):
        before = dict((vm, self._diff_side(vm, state, 0)) for vm, state in states.items())
        after = dict((vm["name"] or "(new %d)" % i, self._diff_side(vm["name"], self.params["state"], 1))
                     for i, vm in enumerate(vms))
        return {
            "changed": self.changed,
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
        self.domains = _vm_inventory.domains(self.conn) if not self.check_mode else self.domains
        models = _vm_inventory.network_models(self.conn, [self.domains[vm][1]["network"] for vm in names
                                                          if vm in self.domains])
        described = []
        for vm in names:
            dom, info = self.domains.get(vm, (None, None))
            if info is None:  # would be created (check mode)
                described.append(self._unknown(vm))
            else:
                described.append(_vm_inventory.describe(vm, dom, info, models, self.key_file))
        return described

    def _unknown(self, name=None):
        return {"name": name, "id": None, "mac": None, "ip": None, "network": self.params["network"],
                "state": self.params["state"], "image": self.spec["image"], "group": self._group(),
                "user": self.spec["user"], "host_key": None, "known_hosts_line": None, "known_hosts_lines": [],
                "ssh_private_key_file": self.key_file, "console_file": None}

    def _group(self):
        return self.params["name"] if self.params.get("count") is not None else None

    def _check_owned(self, vm):
        _dom, info = self.domains[vm]
        if not info["virter"]:
            raise Conflict("domain %s exists and is not a virter VM (no virter metadata): choose another "
                           "name" % vm)

    # -- creation -------------------------------------------------------------------

    def _plan_create(self, create, freed=(), replacing=(), leftovers=((), ())):
        """Check that `create` can be made, changing nothing; `freed` are VMs this task
        removes first, `replacing` VMs that the new ones replace (same names), `leftovers`
        what interrupted runs left, reclaimed first."""
        if self.spec["image"] is None:
            raise InvalidInput("image is required to create VM %s" % (create[0][0] or self.params["name"]))
        store = Store(self.conn, self.params["pool"])
        _net, model = _network.access_network(self.conn, self.params["network"])
        _host_limits.check(self.spec, self._host(), create[0][0] or self.params["name"])
        self._check_create(create, model, freed, replacing, [host["mac"] for host in leftovers[0]])
        image, top = _vm_image.ensure(self.conn, store, self.spec["image"], self.params, self.check_mode)
        return {"store": store, "image": image, "top": top, "model": model}

    def _create_all(self, create, plan):
        """Create the VMs concurrently; returns their names (None for an auto id in
        check mode, where the name is not known yet)."""
        store, image, top, model = plan["store"], plan["image"], plan["top"], plan["model"]
        self.changed = True
        if self.check_mode:
            return [vm for vm, _id in create]
        authorized = self._authorized(create=True)
        if _network.on_hypervisor(self.conn):
            for mount in self.spec["mounts"]:
                os.makedirs(mount["host"], exist_ok=True)  # as virter does (mkdir -p)
        # The same for every VM of the task: read each extra NIC's network once.
        network_config = _cloudinit.network_config([_network_has_dhcp(self.conn, nic) for nic in self.spec["nics"]])
        capacity = max(store.volumes()[layer_volume(top)].capacity, self.spec["boot_capacity"])
        claims = []

        def build(job):
            claim, host_keys = job
            return self._create(store, image, top, capacity, model, authorized, network_config, claim,
                                self._index(claims, claim), host_keys.result())

        # Host keys cost CPU and not the id: made beside the claims, before any VM runs.
        keygen = ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
        try:
            host_keys = [keygen.submit(_keys.generate_host_keys) for _job in create]
            built = self._claim_and_build(create, model, build, claims, host_keys)
        finally:
            keygen.shutdown(wait=True)
        if self.params["state"] == "running":
            # All at once at the end: a running (emulated) guest would slow the rest down.
            self._parallel(self._start_new, built, "start VM")
        return built

    def _start_new(self, vm):
        """Start a VM this task made; one that does not start is removed again."""
        try:
            self._set_state(vm, "running")
        except Exception:
            undo(self.remove, vm)
            raise

    def _claim_and_build(self, create, model, build, claims, host_keys):
        if self.params["static_dhcp"]:
            # Claim and define under a lock held in the hypervisor's libvirt (whatever
            # machine the module runs on): the defined domain is what marks a pre-made
            # entry as taken.
            lock = _hypervisor_lock.static_dhcp_lock(model["name"])
            with _hypervisor_lock.held(self.conn, self.params["pool"], lock):
                claims.extend(self._claim_static(vm, vm_id, model) for vm, vm_id in create)
                return self._parallel(build, list(zip(claims, host_keys)), "create VM")
        workers = _Workers("create VM")
        try:
            # Claims one after another: libvirt applies network updates one at a time
            # anyway, and this task's claims never refuse each other. Each VM is built
            # while the next one is claimed, unless fixed ports need every id first.
            fixed_ports = self.spec["vnc_port"] is not None or self.spec["gdb_port"] is not None
            for (vm, vm_id), keys in zip(create, host_keys):
                claims.append(self._claim(vm, vm_id))
                if not fixed_ports:
                    workers.start(build, (claims[-1], keys))
            if fixed_ports:
                for job in zip(claims, host_keys):
                    workers.start(build, job)
        finally:
            built = workers.join()
        return built

    def _parallel(self, func, items, action):
        workers = _Workers(action)
        for item in items:
            workers.start(func, item)
        return workers.join()

    def _index(self, claims, claim):
        """The 0-based position of a new member among its whole group, by id."""
        ids = sorted(set(self._member_ids()) | set(c[1] for c in claims))
        return ids.index(claim[1])

    def _authorized(self, create=False):
        """The keys authorized in new VMs: the key pair's public key, then ssh_public_keys."""
        public = None
        if create or os.path.exists(self.key_file):
            public = _keys.ensure_key_pair(self.key_file)
        return [public] + list(self.params.get("ssh_public_keys") or [])

    def _check_create(self, create, model, freed, replacing, reclaimed):
        iface = parse_cidr(model["cidr"])
        others = dict((vm, entry) for vm, entry in self.domains.items() if vm not in replacing)
        # The entries of VMs this task removes go first (with static_dhcp they stay), and
        # so do the `reclaimed` ones that interrupted runs left.
        gone = [] if self.params["static_dhcp"] else [self.domains[vm][1]["mac"] for vm in freed]
        gone += list(reclaimed)
        taken = plan.used_ids(model, except_macs=gone)
        premade = plan.premade_ids(model)
        for vm, vm_id in create:
            if vm is not None and vm in others:
                raise Conflict("domain %s exists and is not a member of group %s" % (vm, self.params["name"]))
            if vm is not None:
                self._check_volumes_free(vm, others)
            if vm_id is None:
                continue
            ip_for_id(iface, vm_id)  # raises when the id is outside the subnet
            mac = mac_for_id(vm_id)
            if self.params["static_dhcp"]:
                if vm_id not in premade:
                    raise Conflict("no DHCP host entry for id %d on network %s (static_dhcp): create it "
                                   "with virter_network dhcp_ids" % (vm_id, model["name"]))
            elif vm_id in taken:
                raise Conflict("id %d is taken on network %s" % (vm_id, model["name"]))
            if any(info["mac"] == mac for _dom, info in others.values()):
                raise Conflict("id %d is used by another domain (MAC %s)" % (vm_id, mac))
        auto = len([vm_id for _vm, vm_id in create if vm_id is None])
        if auto and self.params["static_dhcp"]:
            free = len(self._free_premade(premade, others, create, freed))
            if free < auto:
                raise Conflict("network %s has %d free DHCP host entries, %d VMs need one (static_dhcp): add "
                               "entries with virter_network dhcp_ids" % (model["name"], free, auto))
        elif auto:
            free = _network.free_id_count(iface, taken)
            if free < auto:
                raise Conflict("network %s (%s) has %d free ids, %d VMs need one" % (
                    model["name"], model["cidr"], free, auto))
        stores, raw = {}, {}
        for disk in self.spec["disks"]:
            if disk["pool"] not in stores:  # a missing disk pool fails before anything changes
                stores[disk["pool"]] = Store(self.conn, disk["pool"])
            if disk["format"] == "raw":  # allocated in full when made
                raw[disk["pool"]] = raw.get(disk["pool"], 0) + disk["size"] * len(create)
        for pool, size in raw.items():
            available = stores[pool].available()
            if size > available:
                raise Conflict("the raw disks of %d new VMs need %d MiB in storage pool %s, which has %d MiB free"
                               % (len(create), size >> 20, pool, available >> 20))
        for nic in self.spec["nics"]:
            if nic["type"] == "network" and _network.lookup(self.conn, nic["source"]) is None:
                raise NotFound("network %s of an extra NIC does not exist" % nic["source"])

    def _free_premade(self, premade, domains, create, freed):
        """Pre-made entries that auto ids of `create` can claim: no other domain (and no
        fixed id of this task) uses them; those of `freed` VMs are free again."""
        used = set(id_from_mac(info["mac"]) for vm, (_dom, info) in domains.items() if vm not in freed)
        used |= set(vm_id for _vm, vm_id in create if vm_id is not None)
        return sorted(premade - used)

    def _check_volumes_free(self, vm, domains):
        """Refuse a VM whose volume names another domain uses: virter names extra disks
        <vm>-<disk>, so VM `a-b` and disk `b` of VM `a` would share one."""
        pools = [self.params["pool"]] * 2 + [disk["pool"] for disk in self.spec["disks"]]
        wanted = set(zip(pools, work_volumes(vm, self.spec["disks"])))
        for other, (_dom, info) in domains.items():
            clash = wanted & set(info["volumes"])
            if clash and other != vm:
                raise Conflict("volume %s of VM %s is in use by domain %s: choose another VM or disk name"
                               % (sorted(clash)[0][1], vm, other))

    def _claim(self, vm, vm_id):
        """(name, id, mac, ip) of a new VM, its host entry reserved (named after it)."""
        if vm is None:
            # A group member with an auto id: its name follows from the id it gets.
            group = self.params["name"]
            vm_id, mac, ip = _network.reserve(self.conn, self.params["network"],
                                              name_for=lambda i: _vm_spec.member_name(group, i))
            return _vm_spec.member_name(group, vm_id), vm_id, mac, ip
        vm_id, mac, ip = _network.reserve(self.conn, self.params["network"], vm_id=vm_id, name=vm)
        return vm, vm_id, mac, ip

    def _claim_static(self, vm, vm_id, model):
        """A pre-made host entry whose MAC no domain uses (caller holds the network's lock)."""
        iface = parse_cidr(model["cidr"])
        used = set(info["mac"] for _dom, info in _vm_inventory.domains(self.conn).values())
        used |= set(mac_for_id(c) for c in self._static_claimed)
        candidates = [vm_id] if vm_id is not None else sorted(plan.premade_ids(model))
        for candidate in candidates:
            mac = mac_for_id(candidate)
            if mac not in used:
                self._static_claimed.add(candidate)
                name = vm or _vm_spec.member_name(self.params["name"], candidate)
                return name, candidate, mac, ip_for_id(iface, candidate)
        raise Conflict("no free DHCP host entry on network %s (static_dhcp)" % model["name"])

    def _create(self, store, image, top, capacity, model, authorized, network_config, claim, index,
                host_keys):
        """Define the VM of `claim`; when that fails, nothing of it stays behind."""
        made = []
        try:
            return self._define(store, image, top, capacity, model, authorized, network_config, claim, index,
                                host_keys, made)
        except Exception:
            undo(self._roll_back, claim, made)
            raise

    def _define(self, store, image, top, capacity, model, authorized, network_config, claim, index,
                host_keys, made):
        """The volumes (each added to `made` once it exists) and the domain of `claim`."""
        vm, vm_id, mac, _ip = claim
        with self._lock:
            self._check_volumes_free(vm, dict(self.domains))
        vnc_port, gdb_port = _vm_spec.member_ports(self.spec, vm_id, index)
        instance = str(uuid.uuid4())
        files = {
            "meta-data": _cloudinit.meta_data(instance, vm),
            "user-data": _cloudinit.user_data(vm, model["domain"], authorized, host_keys, self.spec["mounts"],
                                              self.params.get("user_data"), user=self.spec["user"]),
        }
        if network_config:
            files["network-config"] = network_config
        boot, seed = work_volumes(vm)[:2]
        store.create(boot, capacity, "qcow2", top)
        made.append((self.params["pool"], boot))
        seed_data = _cloudinit.seed_iso(files)
        seed_vol = store.create(seed, len(seed_data), "raw")
        made.append((self.params["pool"], seed))
        upload_bytes(self.conn, seed_vol, seed_data)
        disks = []
        for disk, volume in zip(self.spec["disks"], work_volumes(vm, self.spec["disks"])[2:]):
            Store(self.conn, disk["pool"]).create(volume, disk["size"], disk["format"])
            made.append((disk["pool"], volume))
            disks.append(dict(disk, volume=volume))
        record = _vm_spec.recreate_record(dict(self.spec, image=image), gdb_port, authorized[0])
        xml = _domain_xml.build(dict(
            self.spec, name=vm, uuid=instance, virt_type=self._host()["virt_type"], host_key=host_keys["rsa_public"],
            host_key_ed25519=host_keys["ed25519_public"],
            group=self._group(), image=image, record=record, pool=self.params["pool"], boot_volume=boot,
            seed_volume=seed, disks=disks, mac=mac, network=self.params["network"],
            console_file=self._console_file(vm), vnc_port=vnc_port, gdb_port=gdb_port))
        dom = call("define VM %s" % vm, self.conn.defineXML, xml)
        with self._lock:
            self.domains[vm] = (dom, _domain_xml.read(xml))
        return vm

    def _console_file(self, vm):
        if self.spec["console_dir"]:
            _make_console_dir(self.conn, self.spec["console_dir"])
        return self._console_path(vm)

    def _host(self):
        """The hypervisor's virtualization type and limits, read once per task."""
        if self._host_limits is None:
            self._host_limits = _host_limits.read(self.conn, self.spec["arch"], self.spec["virt_type"])
        return self._host_limits

    # -- existing VMs ---------------------------------------------------------------

    def _converge(self, vm):
        dom, info = self.domains[vm]
        vm_id = id_from_mac(info["mac"]) if info["mac"] else None
        index = sorted(i for i in self._member_ids()).index(vm_id) if self.params.get("count") is not None else 0
        vnc_port, gdb_port = _vm_spec.member_ports(self.spec, vm_id, index)
        desired = _vm_spec.desired_settings(self.spec, info, self.declared, self._console_path(vm), vnc_port)
        image = local_image_name(self.spec["image"]) if self.spec["image"] else info["image"]
        key_pair = self._authorized()[0] if "ssh_private_key_file" in self.declared else None
        record = _vm_spec.recreate_record(dict(self.spec, image=image), gdb_port, key_pair)
        applicable, recreate = _vm_spec.drift(info, desired, info["record"], record, self.declared)
        wanted_id = self.params.get("id") if self.params.get("count") is None else None
        if wanted_id is not None and vm_id != wanted_id:
            recreate.append("id")
        if "network" in self.declared and info["network"] not in (None, self.params["network"]):
            recreate.append("network")
        if recreate:
            if not self.params["recreate"]:
                raise Conflict("VM %s differs from the task in %s, which only a new VM can change: set "
                               "recreate: true to replace it" % (vm, ", ".join(recreate)))
            create = [(vm, wanted_id if wanted_id is not None else vm_id)]
            plan = self._plan_create(create, freed=[vm], replacing=[vm])
            self.remove(vm)
            self._create_all(create, plan)
            return
        if applicable:
            if "memory" in applicable or "vcpus" in applicable:
                _host_limits.check(self.spec, self._host(), vm)
            self.changed = True
            self._drift[vm] = dict(applicable)
            if self.check_mode:
                self.reboot_needed = self.reboot_needed or bool(dom.isActive())
                return
            if applicable.get("console_file", (None, None))[1]:
                _make_console_dir(self.conn, self.spec["console_dir"])
            if "vnc_port" in applicable or "vnc_listen" in applicable:
                applicable.update(vnc_port=(None, desired["vnc_port"]), vnc_listen=(None, desired["vnc_listen"]))
            xml = _domain_xml.apply(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE),
                                    dict((key, after) for key, (_before, after) in applicable.items()))
            try:
                dom = self.conn.defineXML(xml)
            except libvirt.libvirtError as exc:
                raise LibvirtError("update VM %s" % vm, exc)
            self.domains[vm] = (dom, _domain_xml.read(xml))
            if dom.isActive():
                self.reboot_needed = True

    def _member_ids(self):
        return [id_from_mac(info["mac"]) for _dom, info in self.domains.values()
                if info["group"] == self.params["name"] and info["mac"]]

    def _console_path(self, vm):
        return os.path.join(self.spec["console_dir"], vm + ".log") if self.spec["console_dir"] else None

    def _set_state(self, vm, state):
        dom, _info = self.domains.get(vm, (None, None))
        if dom is None:  # check mode: not created
            return
        active = bool(dom.isActive())
        if state == "running" and not active:
            self.changed = True
            if not self.check_mode:
                call("start VM %s" % vm, dom.create)
        elif state == "stopped" and active:
            self.changed = True
            if not self.check_mode:
                shutdown(vm, dom, self.params["shutdown_timeout"])

    # -- what interrupted runs left -------------------------------------------------

    def _leftovers(self):
        """(host entries, (pool, volume) pairs) that runs interrupted before defining this
        task's VMs left (_vm_leftovers says which are the collection's own)."""
        if self._group() is None and self.params["name"] in self.domains:
            return [], []  # a VM with a domain left nothing: it was defined
        pool = self.params["pool"]
        present = set()
        for name in set([pool] + [disk["pool"] for disk in self.spec["disks"]]):
            try:
                present |= set((name, volume) for volume in Store(self.conn, name).names())
            except NotFound:
                pass  # nothing left in a pool that is not there
        model = _vm_inventory.network_models(self.conn, [self.params["network"]]).get(self.params["network"])
        hosts = model["hosts"] if model else []
        vms = _vm_leftovers.vm_names(self.params["name"], self._group(), hosts,
                                     [volume for where, volume in present if where == pool], self.domains)
        entries = [] if self.params["static_dhcp"] else _vm_leftovers.host_entries(hosts, vms)
        used = set(volume for _dom, info in self.domains.values() for volume in info["volumes"])
        return entries, _vm_leftovers.unused_volumes(vms, pool, self.spec["disks"], present, used)

    def _reclaim(self, leftovers):
        entries, volumes = leftovers
        if not (entries or volumes):
            return
        self.changed = True
        if self.check_mode:
            return
        for host in entries:
            _network.release(self.conn, self.params["network"], host["mac"])
        delete_volumes(self.conn, volumes)

    def _roll_back(self, claim, made):
        """Undo what a failed creation made: the `made` volumes and the host entry that
        `claim` reserved (static_dhcp entries stay)."""
        if not self.params["static_dhcp"]:
            _network.release(self.conn, self.params["network"], claim[2])
        delete_volumes(self.conn, made)

    # -- removal --------------------------------------------------------------------

    def _remove_all(self, vms):
        """Remove VMs, each in a thread of its own: libvirt stops them at the same time,
        and one VM's DHCP entry goes while others are still stopping."""
        for vm in vms:
            self._check_removable(vm)
        self._parallel(self.remove, vms, "remove VM")

    def _check_removable(self, vm):
        if vm in self.domains and not (self.domains[vm][1]["virter"] or self.params["force"]):
            raise Conflict("domain %s is not a virter VM (no virter metadata): not removing it without "
                           "force: true" % vm)

    def remove(self, vm):
        """Domain, work volumes, DHCP entry and lease; image layers nothing else uses."""
        dom, info = self.domains.get(vm, (None, None))
        if dom is None:
            return
        self._check_removable(vm)
        self.changed = True
        if not self.check_mode:
            remove_domain(self.conn, vm, dom, info, release_dhcp=not self.params["static_dhcp"])
        del self.domains[vm]


class _Workers:
    """Threads sharing the connection; join() returns their results in start order and
    raises the first error once all are done. `action` names what a libvirt error that
    no call() wrapped was doing."""

    def __init__(self, action):
        self._action = action
        self._threads = []
        self._results = []
        self._errors = []

    def start(self, func, item):
        index = len(self._results)
        self._results.append(None)

        def work():
            try:
                self._results[index] = func(item)
            except libvirt.libvirtError as exc:
                self._errors.append(LibvirtError(self._action, exc))
            except Exception as exc:  # pylint: disable=broad-except  # raised again by join()
                self._errors.append(exc)

        thread = threading.Thread(target=work)
        self._threads.append(thread)
        thread.start()

    def join(self):
        for thread in self._threads:
            thread.join()
        if self._errors:
            raise self._errors[0]
        return self._results


def _network_has_dhcp(conn, nic):
    if nic["type"] != "network":
        return False
    model = _vm_inventory.network_models(conn, [nic["source"]])[nic["source"]]
    return bool(model and model["ranges"])


def _make_console_dir(conn, path):
    """Made where the module runs on the hypervisor; on a remote one it is that host's
    path, which must exist there (the module cannot make it)."""
    if _network.on_hypervisor(conn):
        os.makedirs(path, 0o700, exist_ok=True)  # several VMs of a task may make it at once
