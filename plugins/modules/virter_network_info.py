#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
module: virter_network_info
short_description: List libvirt networks
version_added: 0.1.0
description:
  - Returns libvirt networks with the attributes M(virter.core.virter_network) manages,
    including networks defined by LINBIT virter or by hand.
author:
  - virter.core contributors (@virter-core)
options:
  name:
    description:
      - Return only the network of this name (an empty list when it does not exist).
    type: str
extends_documentation_fragment:
  - virter.core.common
  - virter.core.common.network_unused
  - virter.core.attributes.info_module
  - virter.core.attributes.actiongroup_virter
seealso:
  - module: virter.core.virter_network
'''

EXAMPLES = r'''
- name: All networks
  virter.core.virter_network_info:
  register: result

- name: The access network's DHCP host entries
  virter.core.virter_network_info:
    name: default
  register: result

- name: Show them
  ansible.builtin.debug:
    var: result.networks[0].hosts
  when: result.networks | length > 0
'''

RETURN = r'''
networks:
  description:
    - The networks, sorted by name, as M(virter.core.virter_network) returns C(network)
      (read from their persistent definitions).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the network.
      type: str
    active:
      description: Whether the network is running.
      type: bool
    autostart:
      description: Whether libvirtd starts the network at boot.
      type: bool
    bridge:
      description: Bridge device.
      type: str
    cidr:
      description: IPv4 host address and prefix length, V(null) without IPv4.
      type: str
    forward_mode:
      description: Forward mode, V(none) for an isolated network.
      type: str
    domain:
      description: DNS domain, or V(null).
      type: str
    dhcp_range:
      description: The (first) IPv4 DHCP range C({start, end}), or V(null).
      type: dict
    dnsmasq_options:
      description: Extra dnsmasq options.
      type: list
      elements: str
    hosts:
      description: Static DHCP host entries C({id, mac, ip, name}) of the IPv4 address.
      type: list
      elements: dict
  sample:
    - name: default
      active: true
      autostart: true
      bridge: virbr0
      cidr: 192.168.122.1/24
      forward_mode: nat
      domain: null
      dhcp_range: {start: 192.168.122.2, end: 192.168.122.254}
      dnsmasq_options: []
      hosts: [{id: 2, mac: "52:54:00:00:00:02", ip: 192.168.122.2, name: null}]
'''

from ansible_collections.virter.core.plugins.module_utils._ansible_module import new_module, run
from ansible_collections.virter.core.plugins.module_utils.network.service import list_networks


def main():
    module = new_module(argument_spec={"name": {"type": "str"}})
    run(module, lambda conn: {"changed": False, "networks": list_networks(conn, module.params["name"])})


if __name__ == "__main__":
    main()
