# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
name: provision
short_description: The steps of a virter provisioning file, checked before any runs
version_added: 0.1.0
description:
  - >-
    Reads a provisioning file of LINBIT virter (TOML, C(version = 1)) on the controller,
    refuses unknown keys and bad values naming the file and the key, applies C(--set)-style
    overrides, templates exactly the fields virter templates (C({{.Key}}) from C([values]),
    a missing key is an error) and merges the global C([env]) under each step's.
  - The C(virter.core.provision) role runs the steps; this lookup is what it reads them with.
  - Host paths (rsync sources, a container step's copy destination) must lie inside the
    current working directory, as virter requires.
options:
  _terms:
    description: Path of the provisioning file, relative to the current working directory.
    required: true
    type: list
    elements: path
  set:
    description:
      - >-
        Overrides as virter's C(--set) takes them, C({path: string}), for example
        C({"values.Image": "debian", "steps[0].shell.script": "env"}).
    type: dict
    default: {}
  pull_policy:
    description:
      - The pull policy of every container step (virter's C(--container-pull-policy)),
        V(Always), V(IfNotExist) or V(Never); empty (the default) keeps a step's own C(pull),
        else C(IfNotExist).
    type: str
    default: ""
notes:
  - Needs Python 3.11 or the C(tomli) package on the controller.
'''

EXAMPLES = r'''
- name: The steps of a provisioning file
  ansible.builtin.debug:
    msg: "{{ lookup('virter.core.provision', 'provision.toml', set={'values.Greeting': 'hi'}) }}"
'''

RETURN = r'''
_raw:
  description:
    - The steps in order, one dict per step with C(kind) (C(shell), C(rsync) or
      C(container)), C(file), C(index) and the fields of its kind.
    - C(shell) has C(script), C(env) and C(input) (what is written to the login shell's
      standard input); C(rsync) has C(source) and C(dest); C(container) has C(image),
      C(pull), C(command), C(env) and C(copy).
  type: list
  elements: dict
'''

import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.virter.core.plugins.module_utils._errors import VirterError
from ansible_collections.virter.core.plugins.module_utils.provision.load import load
from ansible_collections.virter.core.plugins.module_utils.provision.shell import shell_input


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        overrides = dict((str(k), str(v)) for k, v in (self.get_option("set") or {}).items())
        steps = []
        for term in terms:
            try:
                provision = load(term, overrides, os.getcwd(), pull_override=self.get_option("pull_policy") or None)
            except VirterError as exc:
                raise AnsibleLookupError(exc.msg)
            steps.extend(dict(step, input=shell_input(step)) if step["kind"] == "shell" else step
                         for step in provision.steps)
        # A lookup's list is its items; the steps are one item each.
        return steps
