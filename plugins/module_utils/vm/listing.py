# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The VMs on a libvirt connection as the modules describe them: every domain's XML is
read once per operation.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.virter.core.plugins.module_utils._addressing import id_from_mac
from ansible_collections.virter.core.plugins.module_utils._keys import known_hosts_line
from ansible_collections.virter.core.plugins.module_utils._libvirt import call, call_or_none, libvirt, lookup_network
from ansible_collections.virter.core.plugins.module_utils.network.definition import persistent_xml
from ansible_collections.virter.core.plugins.module_utils.network.network_xml import parse_network
from ansible_collections.virter.core.plugins.module_utils.vm.domain_xml import read


def domains(conn):
    """{name: (virDomain, info)} of every domain, info from its persistent XML."""
    found = {}
    for dom in call("list domains", conn.listAllDomains, 0):
        xml = call_or_none("list domains", libvirt.VIR_ERR_NO_DOMAIN, dom.XMLDesc, libvirt.VIR_DOMAIN_XML_INACTIVE)
        if xml is not None:  # None: removed since the listing
            found[dom.name()] = (dom, read(xml))
    return found


def disks_in_use(conn):
    """(pool, volume) pairs and file paths of every domain's disks."""
    used = set()
    for _dom, info in domains(conn).values():
        used.update(info["volumes"])
        used.update(info["files"])
    return used


def network_models(conn, names):
    """{network name: model} of the networks named, read once each (None if missing)."""
    models = {}
    for name in set(n for n in names if n):
        net = lookup_network(conn, name)
        models[name] = parse_network(persistent_xml(net)) if net is not None else None
    return models


def describe(name, dom, info, models, private_key_file):
    """The `vms` entry of one domain."""
    model = models.get(info["network"])
    ip = None
    domain_name = None
    if model is not None:
        domain_name = model["domain"]
        ip = next((h["ip"] for h in model["hosts"] if h["mac"] == (info["mac"] or "").lower()), None)
    host_key = info["host_key"] or None
    hosts = [ip, name, "%s.%s" % (name, domain_name) if domain_name else None]
    # virter pins the RSA key only; the collection's VMs pin ed25519 too.
    lines = [known_hosts_line(hosts, key) for key in (host_key, info["host_key_ed25519"]) if key]
    return {
        "name": name,
        "id": id_from_mac(info["mac"]) if info["mac"] else None,
        "mac": info["mac"],
        "ip": ip,
        "network": info["network"],
        "state": "running" if dom is not None and dom.isActive() else "stopped",
        "image": info["image"],
        "group": info["group"],
        "user": info["user"] or "root",
        "host_key": host_key,
        "known_hosts_line": lines[0] if host_key else None,
        "known_hosts_lines": lines,
        "ssh_private_key_file": private_key_file,
        "console_file": info["console_file"],
    }


def list_vms(conn, private_key_file, name=None):
    """`vms` of virter_vm_info: every virter VM (or the one called `name`)."""
    found = domains(conn)
    models = network_models(conn, [info["network"] for _dom, info in found.values()])
    return [describe(vm, dom, info, models, private_key_file)
            for vm, (dom, info) in sorted(found.items())
            if info["virter"] and name in (None, vm)]
