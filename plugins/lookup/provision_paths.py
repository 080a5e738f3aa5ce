# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
name: provision_paths
short_description: The controller paths a provisioning step uses, when it runs
version_added: 0.1.0
description:
  - For a step of P(virter.core.provision#lookup), the host paths it uses, looked up when
    the step runs (an earlier step may have made them), confined to the current working
    directory as virter requires.
  - An rsync step gives C(sources), its glob's matches with symlinks resolved (a trailing
    C(/), which copies the contents, kept); no match is no error.
  - A container step gives C(workspace), the working directory (mounted in the container),
    and with C(copy) also C(copy_dest), the directory the copy goes to, which must exist.
options:
  _terms:
    description: The steps, as the P(virter.core.provision#lookup) lookup returns them.
    required: true
    type: list
    elements: dict
'''

EXAMPLES = r'''
- name: What an rsync step copies
  ansible.builtin.debug:
    msg: "{{ lookup('virter.core.provision_paths', step).sources }}"
  vars:
    step: "{{ lookup('virter.core.provision', 'provision.toml', wantlist=True) | first }}"
'''

RETURN = r'''
_raw:
  description: One dict per step, with C(sources) (rsync) or C(workspace) and C(copy_dest) (container).
  type: list
  elements: dict
'''

import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.virter.core.plugins.module_utils._errors import VirterError
from ansible_collections.virter.core.plugins.module_utils.provision.workdir import copy_dest, rsync_sources


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        base_dir = os.getcwd()
        found = []
        for step in terms:
            try:
                if step.get("kind") == "rsync":
                    found.append({"sources": rsync_sources(step, base_dir)})
                elif step.get("kind") == "container":
                    found.append(dict({"workspace": base_dir},
                                      **({"copy_dest": copy_dest(step, base_dir)} if step.get("copy") else {})))
                else:
                    found.append({})
            except VirterError as exc:
                raise AnsibleLookupError(exc.msg)
        return found
