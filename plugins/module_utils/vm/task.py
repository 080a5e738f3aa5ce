# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What one virter_vm task (one VM, group or entry of `vms`) knows, shared by the service,
the creation and the claims: its checked options, the connection's domains (read once per
module run, kept up to date as VMs come and go) and the hypervisor's limits.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import threading

from ansible_collections.virter.core.plugins.module_utils import _keys
from ansible_collections.virter.core.plugins.module_utils._addressing import id_from_mac
from ansible_collections.virter.core.plugins.module_utils._libvirt import on_hypervisor
from ansible_collections.virter.core.plugins.module_utils.vm import host_limits, listing
from ansible_collections.virter.core.plugins.module_utils.vm import spec as vm_spec


class Shared:
    """What the tasks of one module run share: the connection's domains, read once and
    kept up to date as VMs come and go, the lock for them while VMs are made in threads,
    the hypervisor's limits, and the pre-made DHCP entries claimed (static_dhcp)."""

    def __init__(self, conn):
        self.domains = listing.domains(conn)
        self.lock = threading.Lock()
        self.host_limits = {}  # (arch, virt_type) -> host_limits.read()
        self.static_claimed = {}  # network -> the ids static_dhcp claims of the run took


class Task:
    def __init__(self, conn, params, check_mode, shared=None):
        self.conn = conn
        self.params, self.declared = vm_spec.with_defaults(params, os.environ)
        self.check_mode = check_mode
        self.spec = vm_spec.check(self.params)
        self.key_file = self.params.get("ssh_private_key_file") or _keys.default_private_key_file()
        self._shared = shared or Shared(conn)
        self.domains = self._shared.domains
        self.lock = self._shared.lock
        self.changed = False

    def reread_domains(self):
        """Read the domains again, in place: the tasks of the run share them."""
        fresh = listing.domains(self.conn)
        self.domains.clear()
        self.domains.update(fresh)

    def group(self):
        return self.params["name"] if self.params.get("count") is not None else None

    def member_ids(self):
        return [id_from_mac(info["mac"]) for _dom, info in self.domains.values()
                if info["group"] == self.params["name"] and info["mac"]]

    def host(self):
        """The hypervisor's virtualization type and limits, read once per module run."""
        key = (self.spec["arch"], self.spec["virt_type"])
        if key not in self._shared.host_limits:
            self._shared.host_limits[key] = host_limits.read(self.conn, *key)
        return self._shared.host_limits[key]

    def static_claimed(self):
        """The ids that static_dhcp claims of this run took on the task's network (the
        claims of all entries on it are made under one hold of its lock)."""
        return self._shared.static_claimed.setdefault(self.params["network"], set())

    def authorized(self, create=False):
        """The keys authorized in new VMs: the key pair's public key, then ssh_public_keys."""
        public = None
        if create or os.path.exists(self.key_file):
            public = _keys.ensure_key_pair(self.key_file)
        return [public] + list(self.params.get("ssh_public_keys") or [])

    def console_path(self, vm):
        return os.path.join(self.spec["console_dir"], vm + ".log") if self.spec["console_dir"] else None

    def make_console_dir(self):
        """Made where the module runs on the hypervisor; on a remote one it is that host's
        path, which must exist there (the module cannot make it)."""
        if on_hypervisor(self.conn):
            os.makedirs(self.spec["console_dir"], 0o700, exist_ok=True)  # several VMs of a task may make it at once
