# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Networks on libvirt: read, converge, remove. DHCP host reservations for VMs are in
reservations.py.

PRIVATE to the collection: no stable API. The decisions are in plan.py (pure);
this file does the libvirt calls.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.virter.core.plugins.module_utils.network import failures
from ansible_collections.virter.core.plugins.module_utils.network import plan
from ansible_collections.virter.core.plugins.module_utils._addressing import validate_name
from ansible_collections.virter.core.plugins.module_utils._diff import DifferenceTracker
from ansible_collections.virter.core.plugins.module_utils._errors import Conflict, InvalidInput, LibvirtError
from ansible_collections.virter.core.plugins.module_utils._libvirt import libvirt, lookup_network, on_hypervisor
from ansible_collections.virter.core.plugins.module_utils.network.definition import (
    attached_domains,
    persistent_xml,
    update,
)
from ansible_collections.virter.core.plugins.module_utils.network.neighbours import (
    dnsmasq_test,
    footprints,
    interface_names,
)
from ansible_collections.virter.core.plugins.module_utils.network.network_xml import (
    host_xml,
    parse_network,
    range_xml,
    render_network,
)


def describe(net):
    """The `network` return value of a libvirt network."""
    return plan.public_model(parse_network(persistent_xml(net)), bool(net.isActive()), bool(net.autostart()))


def list_networks(conn, name=None):
    """`networks` of virter_network_info: all, or the one called `name` (if it exists)."""
    if name is not None:
        net = lookup_network(conn, name)
        nets = [net] if net is not None else []
    else:
        nets = sorted(conn.listAllNetworks(0), key=lambda n: n.name())
    return [describe(net) for net in nets]


class NetworkService:
    """virter_network: converge one network to the module's parameters."""

    def __init__(self, conn, check_mode=False):
        self.conn = conn
        self.check_mode = check_mode

    def present(self, params):
        net = lookup_network(self.conn, params["name"])
        if net is None:
            return self._create(params)
        if not net.isPersistent():
            raise Conflict("network %s is transient: only persistent networks are managed" % params["name"])
        return self._converge(net, params)

    def absent(self, name, force=False):
        validate_name(name, "network name")
        net = lookup_network(self.conn, name)
        if net is None:
            return self._result(False, None, None)
        before = describe(net)
        attached = sorted(attached_domains(self.conn, name))
        if attached and not force:
            raise Conflict("network %s has VMs attached (%s): set force: true to remove it anyway"
                           % (name, ", ".join(attached)), attached=attached)
        if not self.check_mode:
            if net.isActive():
                net.destroy()
            net.undefine()
        return self._result(True, before, None)

    def _create(self, params):
        desired = plan.desired_network(params, None)
        desired["hosts"] = plan.wanted_hosts(params.get("dhcp_ids"), desired["cidr"]) or []
        self._check_host(desired, [])
        after = plan.public_model(desired, True, params["autostart"])
        if not self.check_mode:
            net = self._define(desired, render_network(desired))
            try:
                net.setAutostart(params["autostart"])
                net.create()
            except libvirt.libvirtError as exc:
                # Leave nothing behind: a network that cannot start is not half created.
                net.undefine()
                raise _refusal("start network %s" % desired["name"], desired, exc)
            after = describe(net)
        return self._result(True, None, after)

    def _check_host(self, desired, own):
        """Refuse, before anything changes, what clashes with the hypervisor: see
        plan.check_neighbours; and dnsmasq options the local dnsmasq refuses."""
        interfaces = interface_names(self.conn) if plan.new_bridge(desired, own) else None
        plan.check_neighbours(desired, own, footprints(self.conn, desired["name"]), interfaces)
        options = desired["dnsmasq_options"]
        if options and all(model["dnsmasq_options"] != options for model in own) and on_hypervisor(self.conn):
            complaint = dnsmasq_test(options)
            if complaint is not None:
                raise InvalidInput(failures.refused_options(options, complaint))

    def _converge(self, net, params):
        name = params["name"]
        persistent = parse_network(persistent_xml(net))
        active = bool(net.isActive())
        live = parse_network(net.XMLDesc(0)) if active else None
        autostart = bool(net.autostart())
        desired = plan.desired_network(params, persistent)
        wanted = plan.wanted_hosts(params.get("dhcp_ids"), desired["cidr"])

        protected = set()
        if plan.removal_candidates(persistent["hosts"] + (live["hosts"] if live else []), wanted):
            protected = set(mac for _active, macs in attached_domains(self.conn, name).values() for mac in macs)
        desired["hosts"] = plan.hosts_for(persistent, desired["cidr"], wanted, protected)
        self._check_host(desired, [model for model in (persistent, live) if model])

        # Ranges and host entries go by virNetworkUpdate, live and persistent, as long as
        # the subnet stays; a new subnet needs a new definition (and a restart).
        ops = {}
        redefine = persistent["cidr"] != desired["cidr"] or plan.restart_fields_differ(persistent, desired)
        if persistent["cidr"] == desired["cidr"]:
            self._add_ops(ops, persistent, desired["ranges"], desired["hosts"],
                          libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG)
        live_after = live
        if live is not None and live["cidr"] == desired["cidr"]:
            live_hosts = plan.hosts_for(live, desired["cidr"], wanted, protected)
            self._add_ops(ops, live, desired["ranges"], live_hosts, libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE)
            live_after = dict(live, ranges=desired["ranges"], hosts=live_hosts)

        restart_needed = live_after is not None and plan.restart_fields_differ(live_after, desired)
        restart = restart_needed and self._may_restart(params["restart"], name)
        changed = bool(ops) or redefine or autostart != params["autostart"] or not active or restart

        if not self.check_mode:
            for (command, section, item), flags in ops.items():
                self._update(net, command, section, item, flags)
            # What a restart that fails goes back to.
            old_xml = persistent_xml(net) if redefine and restart else None
            if redefine:
                self._redefine(net, params, protected)
            if autostart != params["autostart"]:
                net.setAutostart(params["autostart"])
            if restart:
                net.destroy()
            if restart or not active:
                self._start(net, desired, old_xml)
        before = plan.public_model(persistent, active, autostart)
        after = plan.public_model(desired, True, params["autostart"])
        if not self.check_mode:
            after = describe(net)
        return self._result(changed, before, after, restart_needed=restart_needed and not restart)

    def _redefine(self, net, params, protected):
        """Write the persistent definition, re-read now so that host entries reserved
        meanwhile are kept."""
        fresh_xml = persistent_xml(net)
        fresh = parse_network(fresh_xml)
        desired = plan.desired_network(params, fresh)
        desired["hosts"] = plan.hosts_for(
            fresh, desired["cidr"], plan.wanted_hosts(params.get("dhcp_ids"), desired["cidr"]), protected)
        self._define(desired, render_network(desired, fresh_xml))

    def _define(self, desired, xml):
        try:
            return self.conn.networkDefineXML(xml)
        except libvirt.libvirtError as exc:
            raise _refusal("define network %s" % desired["name"], desired, exc)

    def _start(self, net, desired, old_xml):
        """Start the network; if the new definition does not start after a restart, the
        old one is defined and started again, so its VMs keep their network."""
        try:
            net.create()
        except libvirt.libvirtError as exc:
            restored = None
            if old_xml is not None:
                try:
                    self.conn.networkDefineXML(old_xml).create()
                    restored = "its previous definition was restored and started"
                except libvirt.libvirtError:
                    restored = "restoring its previous definition failed too"
            raise _refusal("start network %s" % desired["name"], desired, exc, restored)

    def _may_restart(self, policy, name):
        if policy == "always":
            return True
        if policy == "if_unused":
            return not any(active for active, _macs in attached_domains(self.conn, name).values())
        return False

    @staticmethod
    def _add_ops(ops, current, ranges, hosts, flag):
        for op in plan.update_ops(current, ranges, hosts):
            key = (op[0], op[1], _freeze(op[2]))
            ops[key] = ops.get(key, 0) | flag

    @staticmethod
    def _update(net, command, section, item, flags):
        xml = host_xml(dict(item)) if section == plan.HOST else range_xml(item)
        update(net, command, section, xml, flags)

    @staticmethod
    def _result(changed, before, after, restart_needed=False):
        tracker = DifferenceTracker()
        tracker.add("state", "present" if before else "absent", "present" if after else "absent")
        tracker.add_dicts(before or {}, after or {})
        return {
            "changed": changed,
            "network": after,
            "restart_needed": restart_needed,
            "diff": tracker.get_before_after(),
        }


def _refusal(action, desired, exc, then=None):
    """The error for libvirt's refusal of network `desired`: a sentence of
    failures.py where there is one, else libvirt's message; `then`: what was done
    about it."""
    sentence = failures.explain(desired, exc.get_error_message() or "")
    if sentence:
        return Conflict(sentence + ("; " + then if then else ""))
    return LibvirtError(action + (" (%s)" % then if then else ""), exc)


def _freeze(item):
    """Hashable form of a range tuple or a host dict (kept in a dict of operations)."""
    return tuple(sorted(item.items())) if isinstance(item, dict) else item
