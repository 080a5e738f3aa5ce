#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
module: virter_vm_info
short_description: List virter VMs
version_added: 0.1.0
description:
  - Lists the VMs made by this collection or by LINBIT virter (domains with virter's
    metadata), as M(virter.core.virter_vm) returns them. Other domains are left out.
author:
  - virter.core contributors (@virter-core)
options:
  name:
    description: Only the VM of this name.
    type: str
  ssh_private_key_file:
    description:
      - Returned as C(ssh_private_key_file) of each VM.
      - Default is virter's key store, C($XDG_CONFIG_HOME/virter/id_rsa) (C(~/.config/virter/id_rsa)).
    type: path
extends_documentation_fragment:
  - virter.core.common
  - virter.core.common.NETWORK_UNUSED
  - virter.core.attributes.INFO_MODULE
  - virter.core.attributes.ACTIONGROUP_VIRTER
seealso:
  - module: virter.core.virter_vm
'''

EXAMPLES = r'''
- name: All virter VMs
  virter.core.virter_vm_info:
  register: found

- name: Names of the running ones
  ansible.builtin.debug:
    msg: "{{ found.vms | selectattr('state', 'equalto', 'running') | map(attribute='name') }}"
'''

RETURN = r'''
vms:
  description: The VMs, sorted by name; the same entries M(virter.core.virter_vm) returns.
  returned: always
  type: list
  elements: dict
  sample:
    - name: lab-2
      id: 2
      mac: "52:54:00:00:00:02"
      ip: 192.168.122.2
      network: default
      state: running
      image: debian-12
      group: lab
      user: root
      host_key: ssh-rsa AAAAB3NzaC1yc2E...
      known_hosts_line: 192.168.122.2,lab-2 ssh-rsa AAAAB3NzaC1yc2E...
      known_hosts_lines:
        - 192.168.122.2,lab-2 ssh-rsa AAAAB3NzaC1yc2E...
        - 192.168.122.2,lab-2 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5...
      ssh_private_key_file: /root/.config/virter/id_rsa
      console_file: null
'''

from ansible_collections.virter.core.plugins.module_utils._ansible_module import new_module, run
from ansible_collections.virter.core.plugins.module_utils._keys import default_private_key_file
from ansible_collections.virter.core.plugins.module_utils.vm.listing import list_vms


def main():
    module = new_module(
        argument_spec={
            "name": {"type": "str"},
            "ssh_private_key_file": {"type": "path", "no_log": False},
        },
    )
    key_file = module.params["ssh_private_key_file"] or default_private_key_file()
    run(module, lambda conn: {"changed": False, "vms": list_vms(conn, key_file, module.params["name"])})


if __name__ == "__main__":
    main()
