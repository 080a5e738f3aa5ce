# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shutting a VM down and taking it apart: shared by virter_vm (stop, absent) and the
commit of a VM to an image.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import threading
import time

from ansible_collections.virter.core.plugins.module_utils.network import reservations
from ansible_collections.virter.core.plugins.module_utils._errors import LibvirtError, VirterError
from ansible_collections.virter.core.plugins.module_utils._libvirt import call, libvirt
from ansible_collections.virter.core.plugins.module_utils.store.store import Store
from ansible_collections.virter.core.plugins.module_utils.store.names import WORK_PREFIX

_POLL = 0.5
# VMs are taken apart in parallel; which layers nothing uses any more is decided one VM
# at a time, so the last VM on a deleted image still takes its layers along.
_STORE_LOCK = threading.Lock()


def shutdown(vm, dom, timeout, hard_stop=True):
    """ACPI shutdown, polled (libvirt events deadlock under parallel use). After
    `timeout` seconds the VM is stopped hard, or with hard_stop=False an error says so."""
    try:
        dom.shutdown()
    except libvirt.libvirtError:
        pass  # not answering ACPI (yet): the timeout below decides
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and dom.isActive():
        time.sleep(_POLL)
    if not dom.isActive():
        return
    if not hard_stop:
        raise VirterError("VM %s did not shut down within %d s (ACPI); raise shutdown_timeout or stop it first"
                          % (vm, timeout))
    try:
        dom.destroy()
    except libvirt.libvirtError as exc:
        if dom.isActive():
            raise LibvirtError("stop VM %s" % vm, exc)


def remove_domain(conn, vm, dom, info, keep=(), release_dhcp=True):
    """Stop and undefine the domain, delete its work volumes (except `keep`) and the
    image layers that nothing uses any more, and drop its DHCP host entry and lease."""
    if dom.isActive():
        call("stop VM %s" % vm, dom.destroy)
    flags = libvirt.VIR_DOMAIN_UNDEFINE_NVRAM | libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
    call("undefine VM %s" % vm, dom.undefineFlags, flags)
    volumes = [(pool, volume) for pool, volume in info["volumes"]
               if volume.startswith(WORK_PREFIX) and volume not in keep]
    # The entry first: listing a pool waits while libvirt still stops other VMs.
    if release_dhcp and info["mac"] and info["network"]:
        reservations.release(conn, info["network"], info["mac"])
    delete_volumes(conn, volumes)


def delete_volumes(conn, volumes):
    """Delete (pool, name) `volumes` and the image layers that nothing uses any more."""
    by_pool = {}
    for pool, volume in volumes:
        by_pool.setdefault(pool, []).append(volume)
    with _STORE_LOCK:
        for pool, names in by_pool.items():
            store = Store(conn, pool)
            store.delete(store.graph().removal(names))
