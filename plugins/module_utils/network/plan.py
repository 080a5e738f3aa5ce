# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Desired versus actual for networks. Pure: models in, decisions out.

PRIVATE to the collection: no stable API. Models are the dicts of network_xml.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress

from ansible_collections.virter.core.plugins.module_utils._addressing import (
    FIRST_VM_ID,
    dhcp_range,
    format_cidr,
    id_from_ip,
    id_from_mac,
    ids_for,
    parse_cidr,
    validate_dns_name,
    validate_name,
)
from ansible_collections.virter.core.plugins.module_utils._errors import Conflict, InvalidInput
from ansible_collections.virter.core.plugins.module_utils.network.failures import BRIDGE_ADVICE

FORWARD_MODES = ("nat", "route", "open", "none")
RESTART_POLICIES = ("never", "if_unused", "always")
# What libvirt cannot change on a running network: only the persistent definition
# takes these, and they reach the live network with a restart. (DHCP ranges and host
# entries are updated live.)
RESTART_FIELDS = ("forward_mode", "bridge", "cidr", "ip_form", "domain", "dnsmasq_options")

ADD = "add-last"
DELETE = "delete"
HOST = "ip-dhcp-host"
RANGE = "ip-dhcp-range"


def desired_network(params, actual):
    """Module parameters and the persistent model (None if the network does not exist)
    -> the desired model. `hosts` is not set here: see `converge_hosts`.

    Unset `cidr`, `bridge` and `domain` keep what the network has; `domain: ""` removes
    the domain."""
    name = validate_name(params["name"], "network name")
    if params["forward_mode"] not in FORWARD_MODES:
        raise InvalidInput("invalid forward_mode %r: use one of %s" % (
            params["forward_mode"], ", ".join(FORWARD_MODES)))
    cidr = params.get("cidr")
    if cidr is None and actual is not None:
        cidr = actual["cidr"]
    if cidr is None:
        raise InvalidInput("network %s needs an IPv4 address: set cidr, e.g. 192.168.250.1/24" % name)
    iface = parse_cidr(cidr)
    if params.get("bridge") is not None:
        validate_name(params["bridge"], "bridge name")
        if len(params["bridge"]) > 15:
            raise InvalidInput("bridge name %s is longer than 15 characters, the most Linux takes" % params["bridge"])
    if params.get("domain"):
        validate_dns_name(params["domain"])
    for option in params.get("dnsmasq_options") or []:
        # libvirt writes each option as one line of dnsmasq's configuration file.
        if any(ord(char) < 32 or ord(char) == 127 for char in option):
            raise InvalidInput("invalid dnsmasq option %r: it has a line break or another control "
                               "character; give each option as one line of dnsmasq.conf" % (option,))

    def kept(key):
        value = params.get(key)
        return value if value is not None or actual is None else actual[key]

    return {
        "name": name,
        "bridge": kept("bridge"),
        "forward_mode": params["forward_mode"],
        "domain": kept("domain") or None,
        "cidr": format_cidr(iface),
        "ip_form": "netmask",
        "ranges": [dhcp_range(iface)] if params["dhcp"] else [],
        "dnsmasq_options": list(params.get("dnsmasq_options") or []),
    }


def check_neighbours(desired, own, others, interfaces):
    """Refuse network `desired` (a model) when it would take what another network or an
    interface of the hypervisor has: a subnet that overlaps another network's, or a
    bridge name of another network or of an interface.

    `own`: the network's models as it is (persistent, live; none when it is new): what
    it has already is not refused. `others`: (name, bridge, subnets) of each definition
    of every other network, from network_xml.footprint. `interfaces`: names of the
    hypervisor's interfaces, or None when libvirt cannot list them."""
    subnet = parse_cidr(desired["cidr"]).network
    if all(model["cidr"] is None or _subnet(model["cidr"]) != subnet for model in own):
        for name, _bridge, subnets in others:
            for other in subnets:
                if other.version == 4 and other.network.overlaps(subnet):
                    raise Conflict(
                        "cidr %s of network %s overlaps the subnet %s of network %s: choose a subnet "
                        "that no other libvirt network on the hypervisor uses"
                        % (desired["cidr"], desired["name"], other.network, name))
    bridge = new_bridge(desired, own)
    if bridge is None:
        return
    for name, other, _subnets in others:
        if other == bridge:
            raise Conflict("bridge %s is the bridge of network %s already: %s" % (bridge, name, BRIDGE_ADVICE))
    if interfaces is not None and bridge in interfaces:
        raise Conflict("bridge %s cannot be made: the hypervisor has an interface of that name already; %s"
                       % (bridge, BRIDGE_ADVICE))


def new_bridge(desired, own):
    """The bridge name `desired` asks for that the network (`own` models) has not got
    yet, or None."""
    bridge = desired["bridge"]
    return None if bridge is None or bridge in [model["bridge"] for model in own] else bridge


def _subnet(cidr):
    return ipaddress.ip_interface(cidr).network


def wanted_hosts(dhcp_ids, cidr):
    """`dhcp_ids` -> the host entries it asks for, or None when hosts are not managed."""
    if dhcp_ids is None:
        return None
    return [{"mac": mac, "ip": ip, "name": None} for _id, mac, ip in ids_for(dhcp_ids, parse_cidr(cidr))]


def removal_candidates(current, wanted):
    """Entries `dhcp_ids` would remove: those without a name that it does not ask for."""
    if wanted is None:
        return []
    keys = set((h["mac"], h["ip"]) for h in wanted)
    return [h for h in current if not h["name"] and (h["mac"], h["ip"]) not in keys]


def converge_hosts(current, wanted, protected_macs):
    """The host entries a network ends up with.

    `wanted` None leaves them as they are. Otherwise entries with a name, entries whose
    MAC a domain uses (`protected_macs`) and wanted ones stay; missing wanted ones are
    added. A wanted entry that shares only its MAC or its IP with one that stays is a
    conflict (libvirt would refuse it)."""
    if wanted is None:
        return list(current)
    drop = removal_candidates(current, wanted)
    kept = [h for h in current if h not in drop or h["mac"] in protected_macs]
    have = set((h["mac"], h["ip"]) for h in kept)
    added = [h for h in wanted if (h["mac"], h["ip"]) not in have]
    for host in added:
        for other in kept:
            if other["mac"] == host["mac"] or other["ip"] == host["ip"]:
                raise Conflict(
                    "cannot add host entry %s %s: it clashes with the existing entry %s %s%s"
                    % (host["mac"], host["ip"], other["mac"], other["ip"],
                       " (%s)" % other["name"] if other["name"] else " (in use by a VM)"))
    return kept + added


def hosts_for(current, cidr, wanted, protected_macs):
    """`converge_hosts` for a network whose subnet becomes `cidr`: entries outside the
    new subnet cannot stay."""
    hosts = current["hosts"]
    if current["cidr"] != cidr:
        iface = parse_cidr(cidr)
        hosts = [h for h in hosts if id_from_ip(iface, h["ip"]) is not None]
    return converge_hosts(hosts, wanted, protected_macs)


def update_ops(current, ranges, hosts):
    """virNetworkUpdate operations that turn `current` (a model) into one with `ranges`
    and `hosts`: a list of (command, section, item), removals first."""
    ops = [(DELETE, HOST, h) for h in current["hosts"] if h not in hosts]
    ops += [(DELETE, RANGE, r) for r in current["ranges"] if r not in ranges]
    ops += [(ADD, RANGE, r) for r in ranges if r not in current["ranges"]]
    ops += [(ADD, HOST, h) for h in hosts if h not in current["hosts"]]
    return ops


def restart_fields_differ(model, desired):
    """Whether `model` differs from `desired` in what libvirt only applies by a restart."""
    return any(model[field] != desired[field] for field in RESTART_FIELDS)


def used_ids(model, except_macs=()):
    """Ids taken on a network: by a host entry's MAC or by its IP (libvirt refuses a new
    entry that shares either). Entries with a MAC in `except_macs` (of VMs removed first)
    do not count. The one rule for planning and for reservations."""
    iface = parse_cidr(model["cidr"])
    ids = set()
    for host in model["hosts"]:
        if host["mac"] not in except_macs:
            ids.add(id_from_mac(host["mac"]))
            ids.add(id_from_ip(iface, host["ip"]))
    ids.discard(None)
    return ids


def premade_ids(model):
    """Ids whose host entry has exactly the id's MAC and IP: what static_dhcp can use."""
    iface = parse_cidr(model["cidr"])
    ids = set()
    for host in model["hosts"]:
        vm_id = id_from_mac(host["mac"])
        if vm_id is not None and vm_id >= FIRST_VM_ID and id_from_ip(iface, host["ip"]) == vm_id:
            ids.add(vm_id)
    return ids


def public_model(model, active, autostart):
    """The `network` return value."""
    ranges = model["ranges"]
    return {
        "name": model["name"],
        "active": active,
        "autostart": autostart,
        "bridge": model["bridge"],
        "cidr": model["cidr"],
        "forward_mode": model["forward_mode"],
        "domain": model["domain"],
        "dhcp_range": {"start": ranges[0][0], "end": ranges[0][1]} if ranges else None,
        "dnsmasq_options": model["dnsmasq_options"],
        "hosts": [{
            "id": id_from_mac(host["mac"]),
            "mac": host["mac"],
            "ip": host["ip"],
            "name": host["name"],
        } for host in model["hosts"]],
    }
