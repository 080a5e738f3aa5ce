# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""libvirt network XML, built and read with lxml. Pure: no libvirt calls.

PRIVATE to the collection: no stable API.

The model of a network is a dict with the attributes the collection manages:
name, bridge, forward_mode, domain, cidr (host address/prefix of the first IPv4
<ip>), ranges [(start, end)], hosts [{mac, ip, name}] and dnsmasq_options.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress

from ansible_collections.virter.core.plugins.module_utils._lxml import etree

DNSMASQ_NS = "http://libvirt.org/schemas/network/dnsmasq/1.0"
_DNSMASQ = "{%s}" % DNSMASQ_NS


def parse_network(xml):
    """Network XML (either the netmask= or the prefix= form) -> model dict."""
    root = etree.fromstring(_bytes(xml))
    forward = root.find("forward")
    bridge = root.find("bridge")
    domain = root.find("domain")
    ip = _ipv4_element(root)
    model = {
        "name": root.findtext("name"),
        "bridge": bridge.get("name") if bridge is not None else None,
        "forward_mode": (forward.get("mode") or "nat") if forward is not None else "none",
        "domain": domain.get("name") if domain is not None else None,
        "cidr": None,
        # virter reads only the netmask= form: a prefix= one is rewritten (see plan.py).
        "ip_form": None,
        "ranges": [],
        "hosts": [],
        "dnsmasq_options": [opt.get("value") for opt in root.iterfind(
            "%soptions/%soption" % (_DNSMASQ, _DNSMASQ))],
    }
    if ip is not None:
        model["cidr"] = _cidr_of(ip)
        model["ip_form"] = "prefix" if ip.get("prefix") is not None else "netmask"
        model["ranges"] = [(r.get("start"), r.get("end")) for r in ip.iterfind("dhcp/range")]
        model["hosts"] = [_host_of(h) for h in ip.iterfind("dhcp/host")]
    return model


def footprint(xml):
    """What a network takes on its host: (bridge name or None, [ipaddress interface of
    each of its <ip> addresses, IPv4 and IPv6]). Addresses libvirt would refuse are left out."""
    root = etree.fromstring(_bytes(xml))
    bridge = root.find("bridge")
    subnets = []
    for ip in root.iterfind("ip"):
        try:
            address = ipaddress.ip_address(ip.get("address") or "")
            subnets.append(ipaddress.ip_interface("%s/%s" % (address, _prefix_of(ip, address))))
        except ValueError:
            continue
    return (bridge.get("name") if bridge is not None else None), subnets


def render_network(desired, base_xml=None):
    """The XML of network `desired` (a model dict): a new document, or `base_xml` (the
    persistent definition) with the managed parts replaced and everything else kept.

    A `bridge` of None leaves the choice to libvirt (or the bridge as it is).
    The IPv4 address is written in the netmask= form, the only one virter reads."""
    if base_xml is None:
        root = etree.Element("network")
        etree.SubElement(root, "name").text = desired["name"]
    else:
        root = etree.fromstring(_bytes(base_xml))
    _set_forward(root, desired["forward_mode"])
    if desired.get("bridge") is not None:
        _child(root, "bridge").set("name", desired["bridge"])
    _set_domain(root, desired.get("domain"))
    if desired.get("cidr") is not None:
        _set_ip(root, desired)
    _set_dnsmasq_options(root, desired.get("dnsmasq_options") or [])
    return etree.tostring(root, encoding="unicode")


def host_xml(host):
    """A <host> element for `virNetworkUpdate`, with the attributes `host` has (libvirt
    also keeps entries without a MAC, e.g. a name for an address)."""
    element = etree.Element("host")
    for key in ("mac", "name", "ip"):
        if host.get(key):
            element.set(key, host[key])
    return etree.tostring(element, encoding="unicode")


def range_xml(dhcp_range):
    """A <range> element for `virNetworkUpdate`."""
    return etree.tostring(
        etree.Element("range", start=dhcp_range[0], end=dhcp_range[1]), encoding="unicode")


def interface_macs(domain_xml, network):
    """MAC addresses of a domain's interfaces whose source is libvirt network `network`."""
    root = etree.fromstring(_bytes(domain_xml))
    macs = []
    for iface in root.iterfind("devices/interface"):
        source = iface.find("source")
        mac = iface.find("mac")
        if source is not None and source.get("network") == network and mac is not None:
            macs.append(mac.get("address").lower())
    return macs


def _bytes(xml):
    return xml.encode("utf-8") if isinstance(xml, str) else xml


def _ipv4_element(root):
    for ip in root.iterfind("ip"):
        if ip.get("family", "ipv4") == "ipv4" and ":" not in (ip.get("address") or ":"):
            return ip
    return None


def _cidr_of(ip):
    if ip.get("prefix") is not None:
        prefix = ip.get("prefix")
    else:
        prefix = ipaddress.IPv4Network("0.0.0.0/%s" % ip.get("netmask", "32")).prefixlen
    return "%s/%s" % (ip.get("address"), prefix)


def _prefix_of(ip, address):
    """The prefix of an <ip>: prefix=, netmask=, else libvirt's default (the address
    class for IPv4, 64 for IPv6)."""
    if ip.get("prefix") is not None:
        return ip.get("prefix")
    if address.version == 6:
        return 64
    if ip.get("netmask") is not None:
        return ipaddress.IPv4Network("0.0.0.0/%s" % ip.get("netmask")).prefixlen
    first = int(address) >> 24
    return 8 if first < 128 else 16 if first < 192 else 24


def _host_of(element):
    return {"mac": (element.get("mac") or "").lower() or None,
            "ip": element.get("ip"),
            "name": element.get("name")}


def _child(parent, tag):
    element = parent.find(tag)
    return element if element is not None else etree.SubElement(parent, tag)


def _remove(parent, tag):
    for element in parent.findall(tag):
        parent.remove(element)


def _set_forward(root, mode):
    forward = root.find("forward")
    current = (forward.get("mode") or "nat") if forward is not None else "none"
    if current == mode:
        return
    _remove(root, "forward")
    if mode != "none":
        # A fresh element: children of the old mode (<nat>, <interface>) do not fit the new one.
        etree.SubElement(root, "forward", mode=mode)


def _set_domain(root, name):
    if not name:
        _remove(root, "domain")
        return
    domain = root.find("domain")
    if domain is None:
        etree.SubElement(root, "domain", name=name, localOnly="yes")
    else:
        domain.set("name", name)


def _set_ip(root, desired):
    iface = ipaddress.IPv4Interface(desired["cidr"])
    ip = _ipv4_element(root)
    if ip is None:
        ip = etree.SubElement(root, "ip")
    ip.attrib.pop("prefix", None)
    ip.set("address", str(iface.ip))
    ip.set("netmask", str(iface.netmask))
    dhcp = _child(ip, "dhcp")
    _remove(dhcp, "range")
    _remove(dhcp, "host")
    # libvirt wants the ranges before the hosts.
    for start, end in desired["ranges"]:
        etree.SubElement(dhcp, "range", start=start, end=end)
    for host in desired["hosts"]:
        dhcp.append(etree.fromstring(host_xml(host)))
    if len(dhcp) == 0 and not dhcp.attrib:
        ip.remove(dhcp)


def _set_dnsmasq_options(root, options):
    _remove(root, _DNSMASQ + "options")
    if options:
        holder = etree.SubElement(root, _DNSMASQ + "options", nsmap={"dnsmasq": DNSMASQ_NS})
        for value in options:
            etree.SubElement(holder, _DNSMASQ + "option", value=value)
