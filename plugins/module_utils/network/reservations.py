# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""DHCP host reservations for VMs on an access network: reserve an id (its MAC and IP),
release it again, count the free ones.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import shutil
import subprocess

from ansible_collections.virter.core.plugins.module_utils.network import plan
from ansible_collections.virter.core.plugins.module_utils._addressing import (
    free_ids,
    ip_for_id,
    mac_for_id,
    normalize_mac,
    parse_cidr,
    validate_name,
)
from ansible_collections.virter.core.plugins.module_utils._errors import (
    Conflict,
    InvalidInput,
    LibvirtError,
    NotFound,
)
from ansible_collections.virter.core.plugins.module_utils._libvirt import (
    call,
    libvirt,
    lookup_network,
    on_hypervisor,
)
from ansible_collections.virter.core.plugins.module_utils.network.definition import persistent_xml, update
from ansible_collections.virter.core.plugins.module_utils.network.network_xml import host_xml, parse_network


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
    net = lookup_network(conn, name)
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
            update(net, plan.ADD, plan.HOST, host_xml(host), flags)
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
    net = lookup_network(conn, network)
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
        call("remove host entry %s from network %s" % (xml, network), update, net, plan.DELETE, plan.HOST, xml, flags)
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
