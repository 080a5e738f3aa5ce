#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
module: controller_file
short_description: Write a file on the controller, in the controller's own process
version_added: 0.1.0
description:
  - Writes O(content) to O(path) on the controller (where C(ansible-playbook) runs), whatever
    host the task is for, without running a module (it is an action plugin). The lab role writes the lab's
    known_hosts file and OpenSSH config with it, one task each instead of the module runs
    M(ansible.builtin.file) and M(ansible.builtin.copy) take.
  - The file is replaced at once (a temporary file in its directory, renamed), its
    directory made with mode C(0700) when missing. No change when content and mode are
    what they should be.
author:
  - virter.core contributors (@virter-core)
options:
  path:
    description: The file, on the controller.
    type: path
    required: true
  content:
    description: What the file holds.
    type: str
    required: true
  mode:
    description: The file's permissions, in octal.
    type: str
    default: "0600"
extends_documentation_fragment:
  - virter.core.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
'''

EXAMPLES = r'''
- name: The lab's pinned host keys on the controller
  virter.core.controller_file:
    path: /tmp/lab/known_hosts
    content: "192.168.122.2,web ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC8W6Uq8yHTVrTg0cAtAzq9Ynd7fGzaOo/J9iWtRAMtk\n"
    mode: "0600"
'''

RETURN = r'''
path:
  description: The file.
  returned: always
  type: str
  sample: /tmp/lab/known_hosts
'''
