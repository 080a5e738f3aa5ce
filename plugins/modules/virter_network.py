#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
module: virter_network
short_description: Manage libvirt networks for virter VMs
version_added: 0.1.0
description:
  - Create a libvirt network, converge an existing one to the declared attributes, or
    remove it.
  - Attributes are compared against the persistent definition of the network. DHCP
    ranges and host entries are changed on the running network and in the persistent
    definition alike. Other changes (forward mode, address, domain, bridge, dnsmasq
    options) go to the persistent definition; O(restart) decides whether the network is
    restarted to apply them now, otherwise RV(restart_needed) is V(true).
  - The IPv4 address is written in the C(netmask=) form, the one LINBIT virter can read.
  - Networks defined by LINBIT virter are read and managed as they are.
author:
  - virter.core contributors (@virter-core)
options:
  name:
    description:
      - Name of the network.
      - 1 to 63 letters, digits, V(.), V(_) or V(-), starting with a letter or digit.
    type: str
    required: true
  state:
    description:
      - V(present) creates the network or converges it, and makes sure it is running.
      - V(absent) removes it (stopped and undefined).
    type: str
    choices: [present, absent]
    default: present
  cidr:
    description:
      - IPv4 host address of the network and prefix length, for example V(192.168.250.1/24).
      - VM addresses are the network address plus the VM id, so V(x.y.z.1) as host
        address leaves ids from 2 up for VMs.
      - Required to create a network; when not set, an existing network keeps its address.
      - A subnet that overlaps the subnet of any other libvirt network of the hypervisor
        (defined or running, made by this collection or not) is refused before anything
        changes, unless the network has that subnet already.
    type: str
  forward_mode:
    description:
      - How the network reaches the outside. V(none) is an isolated network.
    type: str
    choices: [nat, route, open, none]
    default: nat
  dhcp:
    description:
      - Serve DHCP on the range from the host address + 1 to the broadcast address - 1
        (at most 65535 hosts).
    type: bool
    default: true
  dhcp_ids:
    description:
      - Static DHCP host entries for the ids O(dhcp_ids.first) to
        O(dhcp_ids.first) + O(dhcp_ids.count) - 1, with MAC 52:54:00:00:00:00 + id and
        IP network address + id (for VMs run with static DHCP).
      - Manages only host entries without a name; entries without a name that are not
        asked for are removed, except those whose MAC a VM's interface uses.
      - When not set, host entries are left as they are.
    type: dict
    suboptions:
      first:
        description: The first id.
        type: int
        required: true
      count:
        description: How many ids, at most 65535.
        type: int
        required: true
  domain:
    description:
      - DNS domain of the network.
      - A DNS name such as V(lab.test), labels of 1 to 63 letters, digits or V(-)
        (not first or last in a label) joined by V(.), at most 253 characters.
      - When not set, an existing network keeps its domain; V("") removes it.
    type: str
  bridge:
    description:
      - Name of the network's bridge device.
      - When not set, libvirt picks one for a new network and an existing network keeps its bridge.
      - A name that another libvirt network has as its bridge, or that an interface of the
        hypervisor has, is refused before anything changes (interfaces as far as libvirt can
        list them).
    type: str
  autostart:
    description:
      - Start the network when libvirtd starts.
    type: bool
    default: true
  dnsmasq_options:
    description:
      - Extra dnsmasq options (C(<dnsmasq:option value=...>)), each one line of
        C(dnsmasq.conf) without the leading C(--), for example V(log-dhcp).
      - When the module runs on the hypervisor (a URI without a host), that host's dnsmasq
        checks them first (C(dnsmasq --test)), and an option it refuses fails the task before
        anything changes. Otherwise dnsmasq's refusal shows when the network starts.
    type: list
    elements: str
    default: []
  restart:
    description:
      - Whether to restart a running network when it has changes only a restart applies.
      - A restart detaches the interfaces of running VMs from the network.
      - V(never) leaves it running as it is and returns RV(restart_needed=true).
      - V(if_unused) restarts it when no running VM is attached.
      - V(always) restarts it.
    type: str
    choices: [never, if_unused, always]
    default: never
  force:
    description:
      - With O(state=absent), remove the network even if VMs are attached to it.
    type: bool
    default: false
extends_documentation_fragment:
  - virter.core.common
  - virter.core.common.network_unused
  - virter.core.attributes
  - virter.core.attributes.actiongroup_virter
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
notes:
  - A network is removed only when no VM (running or not) has an interface on it, unless O(force=true).
  - A new network that libvirt cannot start (for example because its subnet is on another
    interface of the hypervisor) is not left defined; an existing one whose new definition
    does not start after a restart gets its previous definition back.
seealso:
  - module: virter.core.virter_network_info
'''

EXAMPLES = r'''
- name: A NAT network for lab VMs
  virter.core.virter_network:
    name: lab
    cidr: 192.168.250.1/24
    domain: lab.test

- name: A network with host entries for the ids 2 to 21 made up front (static DHCP)
  virter.core.virter_network:
    name: ci
    cidr: 10.224.0.1/16
    dhcp_ids:
      first: 2
      count: 20

- name: Change the domain and restart the network if no VM is attached
  virter.core.virter_network:
    name: lab
    domain: lab2.test
    restart: if_unused
  register: result

- name: Tell when a restart is still needed
  ansible.builtin.debug:
    msg: "Network lab needs a restart to apply the change"
  when: result.restart_needed

- name: Remove the network
  virter.core.virter_network:
    name: lab
    state: absent
'''

RETURN = r'''
network:
  description:
    - The network as it is now (its persistent definition), or as it will be in check
      mode (then V(null) where only libvirt can tell, such as a new network's bridge).
    - V(null) when the network is absent.
  returned: always
  type: dict
  contains:
    name:
      description: Name of the network.
      type: str
      sample: lab
    active:
      description: Whether the network is running.
      type: bool
      sample: true
    autostart:
      description: Whether libvirtd starts the network at boot.
      type: bool
      sample: true
    bridge:
      description: Bridge device.
      type: str
      sample: virbr1
    cidr:
      description: IPv4 host address and prefix length, V(null) without IPv4.
      type: str
      sample: 192.168.250.1/24
    forward_mode:
      description: Forward mode, V(none) for an isolated network.
      type: str
      sample: nat
    domain:
      description: DNS domain, or V(null).
      type: str
      sample: lab.test
    dhcp_range:
      description: The (first) IPv4 DHCP range, or V(null).
      type: dict
      sample: {start: 192.168.250.2, end: 192.168.250.254}
    dnsmasq_options:
      description: Extra dnsmasq options.
      type: list
      elements: str
      sample: []
    hosts:
      description: Static DHCP host entries of the IPv4 address.
      type: list
      elements: dict
      contains:
        id:
          description: Id derived from the MAC (52:54:00:00:00:00 + id), V(null) for other MACs.
          type: int
        mac:
          description: MAC address.
          type: str
        ip:
          description: IPv4 address.
          type: str
        name:
          description: Host name of the entry, or V(null).
          type: str
      sample: [{id: 2, mac: "52:54:00:00:00:02", ip: 192.168.250.2, name: null}]
restart_needed:
  description:
    - V(true) when the running network differs from its persistent definition in a way
      only a restart applies, and it was not restarted (see O(restart)).
  returned: always
  type: bool
  sample: false
diff:
  description: The network's attributes before and after, and its V(state).
  returned: always
  type: dict
  contains:
    before:
      description: Attributes before.
      type: dict
    after:
      description: Attributes after.
      type: dict
'''

from ansible_collections.virter.core.plugins.module_utils._ansible_module import new_module, run
from ansible_collections.virter.core.plugins.module_utils.network.service import NetworkService


def main():
    module = new_module(
        argument_spec={
            "name": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "cidr": {"type": "str"},
            "forward_mode": {"type": "str", "choices": ["nat", "route", "open", "none"], "default": "nat"},
            "dhcp": {"type": "bool", "default": True},
            "dhcp_ids": {"type": "dict", "options": {
                "first": {"type": "int", "required": True},
                "count": {"type": "int", "required": True},
            }},
            "domain": {"type": "str"},
            "bridge": {"type": "str"},
            "autostart": {"type": "bool", "default": True},
            "dnsmasq_options": {"type": "list", "elements": "str", "default": []},
            "restart": {"type": "str", "choices": ["never", "if_unused", "always"], "default": "never"},
            "force": {"type": "bool", "default": False},
        },
    )

    def action(conn):
        service = NetworkService(conn, check_mode=module.check_mode)
        if module.params["state"] == "absent":
            return service.absent(module.params["name"], force=module.params["force"])
        return service.present(module.params)

    run(module, action)


if __name__ == "__main__":
    main()
