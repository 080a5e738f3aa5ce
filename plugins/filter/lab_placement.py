# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.virter.core.plugins.module_utils._errors import VirterError
from ansible_collections.virter.core.plugins.module_utils.lab.calls import calls
from ansible_collections.virter.core.plugins.module_utils.lab.placement import place


def lab_placement(entries, hypervisors, found):
    try:
        return place(list(entries), list(hypervisors), dict(found))
    except VirterError as exc:
        raise AnsibleFilterError(exc.msg)


def lab_calls(entries, hypervisors=(), keys=None, start=False, authorized_key=None, local=()):
    return calls(list(entries), list(hypervisors), None if keys is None else list(keys), bool(start),
                 authorized_key, list(local))


class FilterModule(object):
    def filters(self):
        return {"lab_placement": lab_placement, "lab_calls": lab_calls}
