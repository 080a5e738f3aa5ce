# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.virter.core.plugins.module_utils._errors import VirterError
from ansible_collections.virter.core.plugins.module_utils.lab.placement import place, rounds


def lab_placement(entries, hypervisors, found):
    try:
        return place(list(entries), list(hypervisors), dict(found))
    except VirterError as exc:
        raise AnsibleFilterError(exc.msg)


def lab_rounds(placed):
    return rounds(list(placed))


class FilterModule(object):
    def filters(self):
        return {"lab_placement": lab_placement, "lab_rounds": lab_rounds}
