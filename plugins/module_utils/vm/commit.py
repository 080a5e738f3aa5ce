# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Commit a VM to an image: its boot overlay becomes a layer on top of the VM's image.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.virter.core.plugins.module_utils._errors import Conflict, NotFound
from ansible_collections.virter.core.plugins.module_utils.store.names import WORK_PREFIX
from ansible_collections.virter.core.plugins.module_utils.vm import listing
from ansible_collections.virter.core.plugins.module_utils.vm.teardown import remove_domain, shutdown


class VmCommit:
    """What committing VM `vm` takes, checked before anything changes (`check`), then
    done (`run`)."""

    def __init__(self, conn, importer, vm):
        self.conn = conn
        self.importer = importer
        self.vm = vm
        self.work = WORK_PREFIX + vm
        self.dom, self.info = listing.domains(conn).get(vm, (None, None))

    def check(self, allow_shutdown):
        store = self.importer.store
        if self.dom is None:
            # An interrupted commit leaves the overlay alone: finishing it is all that is left.
            if self.work in store.volumes():
                return
            raise NotFound("VM %s does not exist (and no %s volume of an interrupted commit is in pool %s)"
                           % (self.vm, self.work, store.pool_name))
        if not self.info["virter"]:
            raise Conflict("domain %s is not a virter VM (no virter metadata): it cannot be committed" % self.vm)
        if (store.pool_name, self.work) not in self.info["volumes"]:
            raise Conflict("VM %s does not boot from %s in pool %s: commit it with the pool it lives in"
                           % (self.vm, self.work, store.pool_name))
        if self.dom.isActive() and not allow_shutdown:
            raise Conflict("VM %s is running: committing needs shutdown: true" % self.vm)

    def run(self, shutdown_timeout, release_dhcp):
        """Shut down, remove the VM but its overlay, make a layer of the overlay -> the
        layer's digest. The overlay stays until `finish`, once a tag holds the layer."""
        if self.dom is not None:
            if self.dom.isActive():
                shutdown(self.vm, self.dom, shutdown_timeout, hard_stop=False)
            remove_domain(self.conn, self.vm, self.dom, self.info, keep=(self.work,), release_dhcp=release_dhcp)
            self.importer.store.refresh()
        return self.importer.commit(self.work)

    def finish(self):
        self.importer.store.delete([self.work])
