# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure rules of the inventory plugin: host names and SSH arguments.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from urllib.parse import urlparse

from ansible_collections.virter.core.plugins.module_utils._errors import Conflict
from ansible_collections.virter.core.plugins.module_utils._ssh_jump import over_ssh, proxy_option


def hypervisor_of(uri):
    """The host part of a libvirt URI, or None for a local one."""
    return urlparse(uri).hostname


def host_names(vms_by_uri, prefix=None):
    """{(uri, vm name): inventory host name}: `prefix` (if any) and the VM name, or
    `<hypervisor>_<vm>` for names that occur on several URIs; Conflict if two VMs
    still get the same host name."""
    counts = {}
    for vms in vms_by_uri.values():
        for vm in vms:
            counts[vm["name"]] = counts.get(vm["name"], 0) + 1
    owners = {}
    for uri, vms in vms_by_uri.items():
        for vm in vms:
            name = vm["name"]
            if counts[name] > 1:
                name = "%s_%s" % (hypervisor_of(uri) or "localhost", name)
            name = (prefix or "") + name
            if name in owners:
                raise Conflict("VM %s of %s and VM %s of %s would both be host %s; give each URI its own "
                               "inventory source with its own hostname_prefix"
                               % (owners[name][1], owners[name][0], vm["name"], uri, name))
            owners[name] = (uri, vm["name"])
    return dict((key, name) for name, key in owners.items())


def ssh_args_for(uri, known_hosts_file, vm_name):
    """ansible_ssh_common_args: the pinned host keys, and for a hypervisor reached over SSH
    a jump through it, the VM's key checked under its name (two hypervisors may use one
    subnet)."""
    args = "-o StrictHostKeyChecking=yes -o UserKnownHostsFile=%s -o GlobalKnownHostsFile=/dev/null" % known_hosts_file
    if over_ssh(uri):
        args += " -o HostKeyAlias=%s %s" % (vm_name, proxy_option(uri))
    return args
