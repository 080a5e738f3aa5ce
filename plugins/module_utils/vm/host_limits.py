# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a hypervisor can give a VM: the virtualization type it runs, the most vCPUs
that type allows and the host's memory, read once per task; a spec asking for more is
refused before anything is made (libvirt would refuse it only at define or start).

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.virter.core.plugins.module_utils._lxml import etree

from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput
from ansible_collections.virter.core.plugins.module_utils._libvirt import call, libvirt
from ansible_collections.virter.core.plugins.module_utils.vm.domain_xml import ARCHES

_MIB = 1024 ** 2


def read(conn, arch, virt_type):
    """{virt_type, max_vcpus, memory}: `virt_type` "auto" becomes kvm where the host
    offers it, else qemu; max_vcpus is None where libvirt does not say (no domain
    capabilities), memory is the host's RAM in bytes."""
    libvirt_arch, machine = ARCHES[arch]
    caps = None
    candidates = ["kvm", "qemu"] if virt_type == "auto" else [virt_type]
    for candidate in candidates:
        try:
            caps = conn.getDomainCapabilities(None, libvirt_arch, machine, candidate, 0)
            break
        except libvirt.libvirtError:
            continue
    chosen = candidate if caps is not None else candidates[-1]
    memory = call("read the hypervisor's memory size", conn.getInfo)[1] * _MIB
    return {"virt_type": chosen, "max_vcpus": max_vcpus(caps) if caps else None, "memory": memory}


def max_vcpus(caps_xml):
    """The vCPU limit of a domain capabilities document, None when it gives none."""
    found = etree.fromstring(caps_xml.encode()).find("vcpu")
    return int(found.get("max")) if found is not None and found.get("max") else None


def check(spec, limits, vm):
    """Refuse a spec (memory in bytes) that asks for more than the host `limits` give."""
    if limits["max_vcpus"] is not None and spec["vcpus"] > limits["max_vcpus"]:
        raise InvalidInput("vcpus %d of VM %s is more than the %d that %s VMs of this hypervisor can have"
                           % (spec["vcpus"], vm, limits["max_vcpus"], limits["virt_type"]))
    if spec["memory"] > limits["memory"]:
        raise InvalidInput("memory of VM %s (%d MiB) is more than the hypervisor has (%d MiB)"
                           % (vm, spec["memory"] // _MIB, limits["memory"] // _MIB))
