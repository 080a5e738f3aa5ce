# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The layer GC behind virter_layer: remove one layer, or prune the unused ones.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import time

from ansible_collections.virter.core.plugins.module_utils._errors import Conflict
from ansible_collections.virter.core.plugins.module_utils.locks.volume_lock import BREAKER_PREFIX, VolumeLock, is_lock
from ansible_collections.virter.core.plugins.module_utils.image.lock import stale_after
from ansible_collections.virter.core.plugins.module_utils.store.store import Store
from ansible_collections.virter.core.plugins.module_utils.store.names import kind, layer_volume


class LayerService:
    """`disks_in_use(conn)`: the (pool, volume) pairs and file paths of every domain's
    disks (vm.listing.disks_in_use), handed in so image code needs no VM code."""

    def __init__(self, conn, pool, disks_in_use, check_mode=False, now=None):
        self.conn = conn
        self.store = Store(conn, pool)
        self.disks_in_use = disks_in_use
        self.check_mode = check_mode
        self.now = time.time() if now is None else now

    def absent(self, digest, force=False):
        """Remove layer `digest` and the layers below it that nothing else uses. With
        `force`, the images and layers built on it go first; never a VM's disk."""
        layer = layer_volume(digest)
        if layer not in self.store.volumes():
            return self._result([])
        graph = self.store.graph()
        dependents = graph.dependents(layer)
        if dependents and not force:
            raise Conflict("layer %s is in use by %s; remove those first or use force" % (
                digest, _describe(dependents)), used_by=dependents)
        blocking = [vol for vol in dependents if kind(vol)[0] not in ("tag", "layer")]
        if blocking:
            raise Conflict("layer %s is in use by %s, which force does not remove" % (
                digest, _describe(blocking)), used_by=blocking)
        return self._remove(graph.removal([layer], gone=dependents), first=dependents)

    def pruned(self, grace, unused_for=None):
        """Remove every layer nothing uses, except those younger than `grace` seconds;
        with `unused_for`, first the images whose top layer was not read for that long.
        Work volumes no domain uses and older than `grace` (what interrupted runs left)
        go first, so the layers they held go too. So do the lock volumes runs left:
        their holder (of this machine) has ended, whatever `grace`, or they have not
        changed for longer than their stale time and `grace`."""
        vols = self.store.volumes()
        graph = self.store.graph()
        stale = []
        if unused_for is not None:
            for name in sorted(vols):
                info = vols[name]
                top = vols.get(info.parent) if kind(name)[0] == "tag" else None
                if top is not None and top.atime is not None and top.atime + unused_for < self.now:
                    stale.append(name)

        def young(name):
            info = vols[name]
            return max(info.mtime or 0, info.ctime or 0) + grace > self.now

        used = self.disks_in_use(self.conn)
        leftovers = sorted(name for name in vols if kind(name)[0] == "work" and not young(name)
                           and (self.store.pool_name, name) not in used and vols[name].path not in used)
        # Tags and work volumes are never backed by: removing one needs no check. Their
        # layers go below, like any other unused layer, under the same grace.
        first = stale + leftovers
        layers = sorted(vol for vol in vols if kind(vol)[0] == "layer")
        result = self._remove(graph.removal(layers, keep=young, gone=first), first=first)
        names = sorted(name for name in vols if is_lock(name))
        # Breakers first: a lock is cleared under its breaker, which a left breaker blocks.
        names.sort(key=lambda name: not name.startswith(BREAKER_PREFIX))
        locks = self._leftover_locks(names, grace)
        result["removed_locks"] = [lock.name for lock, _holder in locks]
        result["changed"] = result["changed"] or bool(locks)
        if not self.check_mode:
            for lock, holder in locks:
                lock.clear(holder)
        return result

    def _leftover_locks(self, names, grace):
        """(VolumeLock, identity) of each lock volume in `names` that a run left."""
        found = []
        for name in names:
            lock = VolumeLock(self.store, name, stale_after=max(stale_after(name), grace))
            holder = lock.leftover(self.now)
            if holder is not None:
                found.append((lock, holder))
        return found

    def _remove(self, rest, first):
        order = list(first) + list(rest)
        result = self._result(order)  # before the deletion shortens the listing
        if not self.check_mode:
            self.store.delete(order)
        return result

    def _result(self, removed):
        return {
            "changed": bool(removed),
            "removed": [kind(vol)[1] for vol in removed if kind(vol)[0] == "layer"],
            "removed_images": [kind(vol)[1] for vol in removed if kind(vol)[0] == "tag"],
            "removed_work_volumes": [vol for vol in removed if kind(vol)[0] == "work"],
            "removed_locks": [],
            "diff": removal_diff(self.store.volumes(), removed),
        }


def removal_diff(volumes, removed):
    """The `diff` of removing `removed` from a pool holding `volumes` (names): the
    layers and images present before and after."""
    gone = set(removed)
    return {"before": _contents(volumes), "after": _contents(vol for vol in volumes if vol not in gone)}


def _contents(volumes):
    kinds = [kind(vol) for vol in volumes]
    return {"layers": sorted(name for what, name in kinds if what == "layer"),
            "images": sorted(name for what, name in kinds if what == "tag")}


def _describe(volumes):
    names = []
    for vol in volumes:
        what, rest = kind(vol)
        names.append({"tag": "image %s", "layer": "layer %s", "work": "VM volume %s"}.get(
            what, "volume %s") % rest)
    return ", ".join(names)
