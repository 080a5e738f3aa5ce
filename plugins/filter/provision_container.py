# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.virter.core.plugins.module_utils.provision.container import plan


def provision_container(step, hosts, engine, network, files):
    try:
        return plan(dict(step), [dict(host) for host in hosts], engine, dict(network), dict(files))
    except KeyError as exc:
        raise AnsibleFilterError("container step: %s is missing" % exc)
    except ValueError as exc:
        raise AnsibleFilterError("container step: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"provision_container": provision_container}
