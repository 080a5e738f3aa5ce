# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Networks on libvirt: read, converge, remove; and DHCP host reservations for VMs.

PRIVATE to the collection: no stable API. The decisions are in plan.py (pure);
this file does the libvirt calls.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import shutil
import subprocess
import tempfile

try:
    import libvirt
except ImportError:
    libvirt = None  # reported by _ansible_module.require_libraries()

from ansible_collections.virter.core.plugins.module_utils.network import failures as failures
from ansible_collections.virter.core.plugins.module_utils.network import plan as plan
from ansible_collections.virter.core.plugins.module_utils._addressing import (
    free_ids,
    ip_for_id,
    mac_for_id,
    normalize_mac,
    parse_cidr,
    validate_name,
)
from ansible_collections.virter.core.plugins.module_utils._diff import DifferenceTracker
from ansible_collections.virter.core.plugins.module_utils._errors import (
    Conflict,
    InvalidInput,
    LibvirtError,
    NotFound,
)
from ansible_collections.virter.core.plugins.module_utils.network.network_xml import (
    footprint,
    host_xml,
    interface_macs,
    parse_network,
    range_xml,
    render_network,
)
from ansible_collections.virter.core.plugins.module_utils._ssh_jump import is_remote


def on_hypervisor(conn):
    """Whether this process runs on the connection's hypervisor (a URI without a host)."""
    return not is_remote(conn.getURI())


def lookup(conn, name):
    """The network called `name`, or None."""
    try:
        return conn.networkLookupByName(name)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() == libvirt.VIR_ERR_NO_NETWORK:
            return None
        raise LibvirtError("look up network %s" % name, exc)


def persistent_xml(net):
    try:
        return net.XMLDesc(libvirt.VIR_NETWORK_XML_INACTIVE)
    except libvirt.libvirtError as exc:
        # libvirt's test driver keeps no separate persistent definition and rejects the flag.
        if exc.get_error_code() != libvirt.VIR_ERR_INVALID_ARG:
            raise
        return net.XMLDesc(0)


def attached_domains(conn, network):
    """{domain name: (active, [MACs])} for every domain with an interface on `network`."""
    found = {}
    for dom in conn.listAllDomains(0):
        macs = interface_macs(dom.XMLDesc(0), network)
        if macs:
            found[dom.name()] = (bool(dom.isActive()), macs)
    return found


def describe(net):
    """The `network` return value of a libvirt network."""
    return plan.public_model(parse_network(persistent_xml(net)), bool(net.isActive()), bool(net.autostart()))


def list_networks(conn, name=None):
    """`networks` of virter_network_info: all, or the one called `name` (if it exists)."""
    if name is not None:
        net = lookup(conn, name)
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
        net = lookup(self.conn, params["name"])
        if net is None:
            return self._create(params)
        if not net.isPersistent():
            raise Conflict("network %s is transient: only persistent networks are managed" % params["name"])
        return self._converge(net, params)

    def absent(self, name, force=False):
        validate_name(name, "network name")
        net = lookup(self.conn, name)
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
        interfaces = _interface_names(self.conn) if plan.new_bridge(desired, own) else None
        plan.check_neighbours(desired, own, _footprints(self.conn, desired["name"]), interfaces)
        options = desired["dnsmasq_options"]
        if options and all(model["dnsmasq_options"] != options for model in own) and on_hypervisor(self.conn):
            complaint = _dnsmasq_test(options)
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
        _network_update(net, command, section, xml, flags)

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


def _footprints(conn, name):
    """(name, bridge, subnets) of each definition (live, persistent) of every network
    but `name`."""
    found = []
    for net in sorted(conn.listAllNetworks(0), key=lambda net: net.name()):
        if net.name() == name:
            continue
        try:
            xmls = set([net.XMLDesc(0)])
            if net.isActive() and net.isPersistent():
                xmls.add(persistent_xml(net))
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_NETWORK:
                continue  # removed meanwhile
            raise LibvirtError("read network %s" % net.name(), exc)
        found.extend((net.name(),) + footprint(xml) for xml in sorted(xmls))
    return found


def _interface_names(conn):
    """Names of the hypervisor's interfaces, or None when libvirt cannot list them (not
    every libvirt has an interface driver; its refusal to make the bridge is explained
    instead)."""
    try:
        return [iface.name() for iface in conn.listAllInterfaces(0)]
    except libvirt.libvirtError:
        return None


def _dnsmasq_test(options):
    """What this host's dnsmasq says of `options` as lines of a configuration file, or
    None when it takes them (or there is no dnsmasq here to ask)."""
    search = os.pathsep.join([os.environ.get("PATH", os.defpath), "/usr/sbin", "/sbin"])
    tool = shutil.which("dnsmasq", path=search)
    if tool is None:
        return None
    with tempfile.NamedTemporaryFile("w", prefix="virter-dnsmasq-", suffix=".conf") as conf:
        conf.write("".join(option + "\n" for option in options))
        conf.flush()
        try:
            proc = subprocess.run([tool, "--test", "--conf-file=" + conf.name], capture_output=True,
                                  text=True, timeout=30, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
    return proc.stderr if proc.returncode else None


def _freeze(item):
    """Hashable form of a range tuple or a host dict (kept in a dict of operations)."""
    return tuple(sorted(item.items())) if isinstance(item, dict) else item


def _network_update(net, command, section, xml, flags):
    commands = {plan.ADD: libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
                plan.DELETE: libvirt.VIR_NETWORK_UPDATE_COMMAND_DELETE}
    sections = {plan.HOST: libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST,
                plan.RANGE: libvirt.VIR_NETWORK_SECTION_IP_DHCP_RANGE}
    net.update(commands[command], sections[section], -1, xml, flags)


def _update_flags(net):
    """Change the running network and its persistent definition, whichever exist."""
    flags = 0
    if net.isActive():
        flags |= libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE
    if net.isPersistent():
        flags |= libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG
    return flags


def _is_duplicate(exc):
    # libvirt refuses (live and persistent at once) a host entry whose MAC, IP or name
    # another entry already has. That refusal is what makes a reservation atomic.
    return (exc.get_error_code() == libvirt.VIR_ERR_OPERATION_INVALID
            and "existing dhcp host entry" in (exc.get_error_message() or ""))


def access_network(conn, name):
    """(network, model) of an access network: it must exist and have IPv4 with DHCP."""
    net = lookup(conn, name)
    if net is None:
        raise NotFound("access network %s does not exist" % name)
    model = _current_model(net)
    reason = None
    if not model["cidr"]:
        reason = "it has no IPv4 address"
    elif not model["ranges"]:
        reason = "it has no IPv4 DHCP range"
    else:
        try:
            parse_cidr(model["cidr"])
        except InvalidInput as exc:
            reason = exc.msg
    if reason:
        raise Conflict("network %s cannot be an access network: %s" % (name, reason))
    return net, model


def _current_model(net):
    # Reservations change the running network first: read that when there is one.
    return parse_network(net.XMLDesc(0) if net.isActive() else persistent_xml(net))


def reserve(conn, network, vm_id=None, name=None, name_for=None):
    """Add a static DHCP host entry for a VM -> (id, mac, ip).

    With `vm_id`, that id (Conflict if it is taken); else the lowest free id (_addressing.free_ids).
    The entry is named `name`, or `name_for(id)` for a name that follows from the id (a
    group member's): an entry of the collection's making always names its VM.
    Safe when many processes reserve at once: libvirt refuses an entry whose MAC, IP
    or name exists, and a refused id is retried with the next free one. The network XML
    is read once per attempt."""
    if name is not None:
        validate_name(name, "host name")
    net, model = access_network(conn, network)
    flags = _update_flags(net)
    refused = set()
    while True:
        iface = parse_cidr(model["cidr"])
        if name is not None and any(h["name"] == name for h in model["hosts"]):
            raise Conflict("network %s already has a host entry named %s" % (network, name))
        taken = plan.used_ids(model)
        if vm_id is not None:
            ip = ip_for_id(iface, vm_id)
            if vm_id in taken:
                raise Conflict("id %d is taken on network %s: a host entry has its MAC %s or IP %s"
                               % (vm_id, network, mac_for_id(vm_id), ip))
            candidate = vm_id
        else:
            candidate = next(free_ids(iface, taken | refused), None)
            if candidate is None:
                raise Conflict("no free id left on network %s (%s)" % (network, model["cidr"]))
        host = {"mac": mac_for_id(candidate), "ip": ip_for_id(iface, candidate),
                "name": name_for(candidate) if name_for else name}
        try:
            _network_update(net, plan.ADD, plan.HOST, host_xml(host), flags)
            return candidate, host["mac"], host["ip"]
        except libvirt.libvirtError as exc:
            if not _is_duplicate(exc):
                raise LibvirtError("add a host entry to network %s" % network, exc)
            if vm_id is not None:
                raise Conflict("id %d is taken on network %s" % (vm_id, network))
            # Another process took it between our read and our update.
            refused.add(candidate)
        model = _current_model(net)


def free_id_count(iface, taken):
    """How many VM ids of the network `iface` are neither `taken` nor the host's."""
    return sum(1 for _id in free_ids(iface, taken))


def release(conn, network, mac, check_mode=False):
    """Remove every host entry with `mac` from `network` (live and persistent) and drop
    its DHCP lease -> whether an entry was (or, in check mode, would be) removed.

    A missing network or entry is not an error. Dropping the lease (dnsmasq's
    dhcp_release, so that the next VM with this MAC gets its reserved address at once)
    is best effort and only done where libvirtd runs, i.e. for a local URI."""
    mac = normalize_mac(mac)
    net = lookup(conn, network)
    if net is None:
        return False
    targets = []
    if net.isPersistent():
        targets.append((parse_network(persistent_xml(net)), libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG))
    if net.isActive():
        targets.append((parse_network(net.XMLDesc(0)), libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE))
    ops = {}
    ips = set()
    for model, flag in targets:
        for host in model["hosts"]:
            if host["mac"] == mac:
                key = host_xml(host)
                ops[key] = ops.get(key, 0) | flag
                ips.add(host["ip"])
    if check_mode:
        return bool(ops)
    for xml, flags in ops.items():
        try:
            _network_update(net, plan.DELETE, plan.HOST, xml, flags)
        except libvirt.libvirtError as exc:
            raise LibvirtError("remove host entry %s from network %s" % (xml, network), exc)
    if net.isActive() and on_hypervisor(conn):
        _drop_leases(net, mac, ips)
    return bool(ops)


def _drop_leases(net, mac, ips):
    try:
        ips |= set(lease["ipaddr"] for lease in net.DHCPLeases(mac))
        bridge = net.bridgeName()
    except libvirt.libvirtError:
        return
    tool = shutil.which("dhcp_release")
    for ip in sorted(ips) if tool else []:
        try:
            subprocess.run([tool, bridge, ip, mac], timeout=10, check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError):
            pass  # a lease left behind expires by itself; the entry is gone already
