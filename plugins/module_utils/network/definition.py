# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A network's definitions on libvirt: reading them (persistent, live), changing their
DHCP sections in place, and the VMs attached to the network.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.virter.core.plugins.module_utils.network import plan
from ansible_collections.virter.core.plugins.module_utils.network.network_xml import interface_macs
from ansible_collections.virter.core.plugins.module_utils._libvirt import libvirt


def persistent_xml(net):
    try:
        return net.XMLDesc(libvirt.VIR_NETWORK_XML_INACTIVE)
    except libvirt.libvirtError as exc:
        # libvirt's test driver keeps no separate persistent definition and rejects the flag.
        if exc.get_error_code() != libvirt.VIR_ERR_INVALID_ARG:
            raise
        return net.XMLDesc(0)


def update(net, command, section, xml, flags):
    """virNetworkUpdate: plan's `command` (ADD, DELETE) of `xml` in `section` (HOST,
    RANGE); `flags` say which definitions (live, persistent)."""
    commands = {plan.ADD: libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
                plan.DELETE: libvirt.VIR_NETWORK_UPDATE_COMMAND_DELETE}
    sections = {plan.HOST: libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST,
                plan.RANGE: libvirt.VIR_NETWORK_SECTION_IP_DHCP_RANGE}
    net.update(commands[command], sections[section], -1, xml, flags)


def attached_domains(conn, network):
    """{domain name: (active, [MACs])} for every domain with an interface on `network`."""
    found = {}
    for dom in conn.listAllDomains(0):
        macs = interface_macs(dom.XMLDesc(0), network)
        if macs:
            found[dom.name()] = (bool(dom.isActive()), macs)
    return found
