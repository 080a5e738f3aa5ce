# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the hypervisor has next to a network, for the checks made before anything
changes (plan.check_neighbours): the other networks' bridges and subnets, its
interfaces, and what its dnsmasq says of dnsmasq options.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import shutil
import subprocess
import tempfile

from ansible_collections.virter.core.plugins.module_utils._errors import LibvirtError
from ansible_collections.virter.core.plugins.module_utils._libvirt import libvirt
from ansible_collections.virter.core.plugins.module_utils.network.definition import persistent_xml
from ansible_collections.virter.core.plugins.module_utils.network.network_xml import footprint


def footprints(conn, name):
    """(name, bridge, subnets) of each definition (live, persistent) of every network
    but `name`."""
    found = []
    for net in sorted(conn.listAllNetworks(0), key=lambda net: net.name()):
        if net.name() == name:
            continue
        try:
            xmls = set([net.XMLDesc(0)])
            if net.isActive() and net.isPersistent():
                xmls.add(persistent_xml(net))
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_NETWORK:
                continue  # removed meanwhile
            raise LibvirtError("read network %s" % net.name(), exc)
        found.extend((net.name(),) + footprint(xml) for xml in sorted(xmls))
    return found


def interface_names(conn):
    """Names of the hypervisor's interfaces, or None when libvirt cannot list them (not
    every libvirt has an interface driver; its refusal to make the bridge is explained
    instead)."""
    try:
        return [iface.name() for iface in conn.listAllInterfaces(0)]
    except libvirt.libvirtError:
        return None


def dnsmasq_test(options):
    """What this host's dnsmasq says of `options` as lines of a configuration file, or
    None when it takes them (or there is no dnsmasq here to ask)."""
    search = os.pathsep.join([os.environ.get("PATH", os.defpath), "/usr/sbin", "/sbin"])
    tool = shutil.which("dnsmasq", path=search)
    if tool is None:
        return None
    with tempfile.NamedTemporaryFile("w", prefix="virter-dnsmasq-", suffix=".conf") as conf:
        conf.write("".join(option + "\n" for option in options))
        conf.flush()
        try:
            proc = subprocess.run([tool, "--test", "--conf-file=" + conf.name], capture_output=True,
                                  text=True, timeout=30, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
    return proc.stderr if proc.returncode else None
