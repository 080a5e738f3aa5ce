# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading a provisioning file: TOML decoded, keys and types checked, `--set` overrides
applied, checked again in full, steps built. A bad file fails here, before any step runs,
with the file and the key in the message.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
from collections import namedtuple

from ansible_collections.virter.core.plugins.module_utils import _toml
from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput
from ansible_collections.virter.core.plugins.module_utils.provision import format as file_format
from ansible_collections.virter.core.plugins.module_utils.provision import model, overrides as set_paths

# `name` names the file in messages; `steps` as model.py describes them.
Provision = namedtuple("Provision", "name steps")


def load(path, overrides=None, base_dir=None, **options):
    """The provisioning file at `path`; see parse()."""
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8")
    except (IOError, OSError, UnicodeDecodeError) as exc:
        raise InvalidInput("cannot read provisioning file %s: %s" % (path, exc))
    return parse(text, path, overrides, base_dir, **options)


def parse(text, name, overrides=None, base_dir=None, pull_default="IfNotExist", pull_override=None,
          overrides_name="virter_provision_set"):
    """A Provision from TOML `text`. `overrides`: {`--set` path: string}; `base_dir`: the
    working directory host paths must stay in (default: the current one); `pull_default`
    is the policy of container steps that name none, `pull_override` (if given) the policy
    of all; `overrides_name` names the overrides in messages."""
    if _toml.MISSING:
        raise InvalidInput("reading provisioning file %s %s" % (name, _toml.MISSING))
    try:
        doc = _toml.loads(text)
    except ValueError as exc:
        raise InvalidInput("%s: not valid TOML: %s" % (name, exc))
    file_format.check(doc, name, complete=False)
    doc = set_paths.apply(doc, overrides, overrides_name)
    file_format.check(doc, name)
    pulls = [_policy(pull_default, "pull_default"), pull_override and _policy(pull_override, "pull_override")]
    return Provision(name, model.steps(doc, name, base_dir or os.getcwd(), *pulls))


def _policy(text, option):
    policy = file_format.pull_policy(text)
    if policy is None:
        raise InvalidInput("%s: unknown pull policy %r (one of %s)" % (
            option, text, ", ".join(file_format.PULL_POLICIES)))
    return policy
