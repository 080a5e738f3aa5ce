# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure rules shared by every module: names, sizes, and the id <-> MAC <-> IP mapping.

PRIVATE to the collection: no stable API. No libvirt here.

A VM's addresses follow from its integer id, as virter computes them:
MAC = 52:54:00:00:00:00 + id (the six bytes as one big-endian number),
IP = network address + id.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress
import re

from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput

BASE_MAC = "52:54:00:00:00:00"
# libvirt's (and dnsmasq's) limit on the hosts of one DHCP range.
MAX_DHCP_HOSTS = 65535
# An id only changes the last three bytes of BASE_MAC.
MAX_ID = 0xFFFFFF
# The lowest id a VM gets: 1 is the host's own address in virter's rule (x.y.z.1).
FIRST_VM_ID = 2

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
_DNS_LABEL_RE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# The longest DNS name in text form (RFC 1035's 255 octets on the wire).
MAX_DNS_NAME = 253
_MAC_RE = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")
_SIZE_RE = re.compile(r"^\s*(\d+)\s*([A-Za-z]*)\s*$")
_SIZE_UNITS = {
    "": 1024 ** 2,  # a bare number means MiB (virter took bytes: a 4 KiB VM for "4096")
    "B": 1,
    "K": 1024, "KiB": 1024, "kB": 1000, "KB": 1000,
    "M": 1024 ** 2, "MiB": 1024 ** 2, "MB": 1000 ** 2,
    "G": 1024 ** 3, "GiB": 1024 ** 3, "GB": 1000 ** 3,
    "T": 1024 ** 4, "TiB": 1024 ** 4, "TB": 1000 ** 4,
}


def validate_name(name, what="name"):
    """Return `name` if the collection may create an object of that name, else raise."""
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise InvalidInput(
            "invalid %s %r: use 1 to 63 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit" % (what, name))
    return name


def validate_dns_name(name, what="domain"):
    """Return `name` if it is a DNS name: labels of 1 to 63 letters, digits or '-', not
    starting or ending with '-', joined by '.', at most 253 characters; else raise."""
    if not isinstance(name, str) or len(name) > MAX_DNS_NAME or not all(
            _DNS_LABEL_RE.fullmatch(label) for label in name.split(".")):
        raise InvalidInput(
            "invalid %s %r: use a DNS name, labels of 1 to 63 letters, digits or '-' (not first or "
            "last in a label) joined by '.', at most %d characters, e.g. lab.test" % (what, name, MAX_DNS_NAME))
    return name


def parse_size(value):
    """Size string or integer -> bytes. K/M/G/T and KiB..TiB are binary, kB/KB..TB
    decimal, B bytes; a bare number is MiB."""
    if isinstance(value, bool):
        raise InvalidInput("invalid size %r" % (value,))
    if isinstance(value, int):
        value = str(value)
    match = _SIZE_RE.match(value) if isinstance(value, str) else None
    if not match or match.group(2) not in _SIZE_UNITS:
        raise InvalidInput(
            "invalid size %r: use a whole number with an optional unit (B, K, M, G, T, "
            "KiB, MiB, GiB, TiB, KB, MB, GB, TB); a bare number means MiB" % (value,))
    return int(match.group(1)) * _SIZE_UNITS[match.group(2)]


def mac_for_id(vm_id):
    """The MAC of id `vm_id`: 52:54:00:00:00:00 plus the id."""
    if isinstance(vm_id, bool) or not isinstance(vm_id, int) or not 0 <= vm_id <= MAX_ID:
        raise InvalidInput("invalid id %r: must be an integer from 0 to %d" % (vm_id, MAX_ID))
    value = _mac_value(BASE_MAC) + vm_id
    return ":".join("%02x" % ((value >> shift) & 0xFF) for shift in range(40, -8, -8))


def id_from_mac(mac):
    """The id whose MAC this is, or None for a MAC outside 52:54:00:xx:xx:xx."""
    if not isinstance(mac, str) or not _MAC_RE.match(mac):
        return None
    offset = _mac_value(mac) - _mac_value(BASE_MAC)
    return offset if 0 <= offset <= MAX_ID else None


def normalize_mac(mac):
    """Lowercase colon form; raise for anything that is not a MAC address."""
    if not isinstance(mac, str) or not _MAC_RE.match(mac):
        raise InvalidInput("invalid MAC address %r" % (mac,))
    return mac.lower()


def _mac_value(mac):
    return int(mac.replace(":", ""), 16)


def parse_cidr(cidr):
    """'192.168.250.1/24' (host address and prefix, IPv4) -> ipaddress.IPv4Interface.

    The host address must be usable: not the network or broadcast address, and the
    subnet must leave room for DHCP (prefix 30 or shorter)."""
    try:
        iface = ipaddress.ip_interface(cidr) if isinstance(cidr, str) and "/" in cidr else None
    except ValueError:
        iface = None
    if not isinstance(iface, ipaddress.IPv4Interface):
        raise InvalidInput(
            "invalid cidr %r: expected an IPv4 host address with prefix length, "
            "e.g. 192.168.250.1/24" % (cidr,))
    net = iface.network
    if net.prefixlen > 30:
        raise InvalidInput("invalid cidr %r: the prefix must be 30 or shorter" % (cidr,))
    if iface.ip in (net.network_address, net.broadcast_address):
        raise InvalidInput(
            "invalid cidr %r: give the host's own address in the subnet (e.g. %s/%d), "
            "not the network or broadcast address" % (cidr, net.network_address + 1, net.prefixlen))
    return iface


def format_cidr(iface):
    return "%s/%d" % (iface.ip, iface.network.prefixlen)


def ip_for_id(iface, vm_id):
    """The IP of id `vm_id` on the network of `iface`: network address + id.

    Rejects ids whose address is the network, broadcast or host address, or outside."""
    net = iface.network
    if isinstance(vm_id, bool) or not isinstance(vm_id, int) or vm_id < 0:
        raise InvalidInput("invalid id %r: must be a non-negative integer" % (vm_id,))
    if vm_id >= net.num_addresses:
        raise InvalidInput("id %d is outside the subnet %s" % (vm_id, net))
    ip = net.network_address + vm_id
    if ip in (net.network_address, net.broadcast_address):
        raise InvalidInput("id %d is the %s address of %s" % (
            vm_id, "network" if vm_id == 0 else "broadcast", net))
    if ip == iface.ip:
        raise InvalidInput("id %d is the host's own address %s" % (vm_id, ip))
    return str(ip)


def id_from_ip(iface, ip):
    """The id of address `ip` on the network of `iface`, or None if it lies outside."""
    try:
        addr = ipaddress.IPv4Address(ip)
    except ValueError:
        return None
    if addr not in iface.network:
        return None
    return int(addr) - int(iface.network.network_address)


def id_range(iface):
    """(lowest, highest) id that can be given to a VM on this network."""
    return FIRST_VM_ID, min(iface.network.num_addresses - 2, MAX_ID)


def free_ids(iface, taken):
    """The ids a VM can get on the network of `iface`, lowest first: in id_range, not
    `taken` and not the host's own address."""
    first, last = id_range(iface)
    for candidate in range(first, last + 1):
        if candidate not in taken and iface.network.network_address + candidate != iface.ip:
            yield candidate


def dhcp_range(iface):
    """virter's DHCP range: host address + 1 .. broadcast - 1, at most network + 65535."""
    net = iface.network
    start = iface.ip + 1
    end = min(net.broadcast_address - 1, net.network_address + MAX_DHCP_HOSTS)
    if start > end:
        raise InvalidInput(
            "no room for a DHCP range after the host address %s in %s: use the first "
            "address of the subnet as host address" % (iface.ip, net))
    return str(start), str(end)


def ids_for(dhcp_ids, iface):
    """Validate a `dhcp_ids` {first, count} against the subnet -> list of (id, mac, ip)."""
    first, count = dhcp_ids.get("first"), dhcp_ids.get("count")
    if count is None or first is None:
        raise InvalidInput("dhcp_ids needs both first and count")
    if count < 0 or count > MAX_DHCP_HOSTS:
        raise InvalidInput("dhcp_ids count %d: must be from 0 to %d" % (count, MAX_DHCP_HOSTS))
    if count and first < 0:
        raise InvalidInput("dhcp_ids first %d: must not be negative" % first)
    entries = []
    for vm_id in range(first, first + count):
        try:
            entries.append((vm_id, mac_for_id(vm_id), ip_for_id(iface, vm_id)))
        except InvalidInput as exc:
            raise InvalidInput("dhcp_ids %d..%d do not fit %s: %s" % (
                first, first + count - 1, format_cidr(iface), exc.msg))
    return entries
