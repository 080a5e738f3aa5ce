# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The layered image store in one libvirt pool: volumes, tags, chains, ref-counted
deletion. Layout and names are LINBIT virter's, so a pool is shared with virter.

PRIVATE to the collection: no stable API.

The pool is listed once per operation; the listing is then kept up to date by the
store's own changes, and every "who uses what" question is answered from it.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime

from ansible_collections.virter.core.plugins.module_utils._errors import (
    Conflict,
    LibvirtError,
    NotFound,
)
from ansible_collections.virter.core.plugins.module_utils._libvirt import (
    call,
    call_or_none,
    libvirt,
    lookup_pool,
    lookup_volume,
)
from ansible_collections.virter.core.plugins.module_utils.store.refcount import BackingGraph
from ansible_collections.virter.core.plugins.module_utils.store.names import (
    kind,
    layer_volume,
    tag_volume,
)
from ansible_collections.virter.core.plugins.module_utils.store.volume_xml import (
    parse_volume,
    pool_target_path,
    volume_xml,
)


def iso_time(seconds):
    if seconds is None:
        return None
    stamp = datetime.datetime.fromtimestamp(int(seconds), datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    def __init__(self, conn, pool_name):
        self.conn = conn
        self.pool_name = pool_name
        self.pool = lookup_pool(conn, pool_name)
        if self.pool is None:
            raise NotFound("storage pool %s does not exist" % pool_name)
        if not self.pool.isActive():
            raise Conflict("storage pool %s is not active (start it with virsh pool-start %s)" % (
                pool_name, pool_name))
        self.target_path = pool_target_path(self.pool.XMLDesc(0))
        self._volumes = None

    # -- the listing ------------------------------------------------------------------

    def volumes(self):
        """{name: VolumeInfo} of every volume in the pool."""
        if self._volumes is None:
            found = {}
            # Layers first: describing a volume backed by a layer may make libvirt read
            # the layer and so bump its atime, which is what tells a layer's last use.
            listed = sorted(call("list volumes", self.pool.listAllVolumes, 0),
                            key=lambda vol: kind(vol.name())[0] != "layer")
            for vol in listed:
                info = self._info(vol)
                if info is not None:
                    found[info.name] = info
            self._volumes = found
        return self._volumes

    def available(self):
        """The bytes free in the pool."""
        return call("read storage pool %s" % self.pool_name, self.pool.info)[3]

    def names(self):
        """The names of every volume in the pool, in one call that describes none."""
        if self._volumes is not None:
            return set(self._volumes)
        return set(call("list volumes", self.pool.listVolumes))

    def graph(self):
        return BackingGraph(dict((name, info.parent) for name, info in self.volumes().items()))

    def refresh(self, names=None):
        """Let libvirt see files placed in the pool directory; list again when asked.
        With `names`, the files this run placed or moved away: only they are described
        again, the rest of the listing stays (a refresh changes no other volume)."""
        call("refresh storage pool %s" % self.pool_name, self.pool.refresh, 0)
        if names is None or self._volumes is None:
            self._volumes = None
            return
        for name in names:
            info = self.describe(name)
            if info is None:
                self._volumes.pop(name, None)
            else:
                self._volumes[name] = info

    def reread(self):
        """List again when asked: another run has changed the pool (through libvirt)."""
        self._volumes = None

    @staticmethod
    def _info(vol):
        # None: removed since the listing (by a parallel run), it is simply not there.
        xml = call_or_none("read volume %s" % vol.name(), libvirt.VIR_ERR_NO_STORAGE_VOL, vol.XMLDesc, 0)
        return None if xml is None else parse_volume(xml)

    # -- volumes ----------------------------------------------------------------------

    def lookup(self, name):
        return lookup_volume(self.pool, name)

    def describe(self, name):
        """The VolumeInfo of volume `name`, None when there is no such volume."""
        vol = self.lookup(name)
        return None if vol is None else self._info(vol)

    def create(self, name, capacity=0, fmt="qcow2", backing_digest=None):
        """Create a volume and add it to the listing; returns the libvirt volume."""
        xml = volume_xml(name, capacity, fmt, backing_digest)
        vol = call("create volume %s" % name, self.pool.createXML, xml, 0)
        self._track(vol)
        return vol

    def clone(self, name, capacity, source_vol):
        """A standalone qcow2 copy of `source_vol`'s whole chain (libvirt flattens it)."""
        xml = volume_xml(name, capacity, "qcow2")
        vol = call("create volume %s" % name, self.pool.createXMLFrom, xml, source_vol, 0)
        self._track(vol)
        return vol

    def _track(self, vol):
        if self._volumes is not None:
            info = self._info(vol)
            if info is not None:
                self._volumes[info.name] = info

    def delete(self, names):
        """Delete these volumes in order; one that is already gone counts as deleted."""
        for name in names:
            vol = self.lookup(name)
            if vol is not None:
                try:
                    vol.delete(0)
                except libvirt.libvirtError as exc:
                    if self.lookup(name) is not None:
                        raise LibvirtError("delete volume %s" % name, exc)
            if self._volumes is not None:
                self._volumes.pop(name, None)

    def delete_leftover(self, name):
        """Remove a work volume an interrupted run left behind. Its file may already be
        gone (moved away just before the interruption): then libvirt only needs to
        forget it."""
        if name not in self.volumes():
            return
        try:
            self.delete([name])
        except LibvirtError:
            self.refresh([name])
            if name in self.volumes():
                raise

    # -- images -----------------------------------------------------------------------

    def image(self, name):
        """The image `name` as the modules return it, or None. Before the pool is listed,
        only the tag and the layers below it are described."""
        vols = self._volumes if self._volumes is not None else self._chain_of(tag_volume(name))
        tag = vols.get(tag_volume(name))
        if tag is None:
            return None
        chain = BackingGraph(dict((vol, info.parent) for vol, info in vols.items())).chain(tag.name)
        top = vols[chain[0]] if chain else None
        return {
            "name": name,
            "top_layer": kind(chain[0])[1] if chain else None,
            "layers": [kind(layer)[1] for layer in reversed(chain)],
            "virtual_size": tag.capacity,
            "created": iso_time(top.mtime) if top else None,
        }

    def _chain_of(self, name):
        """{name: VolumeInfo} of volume `name` and the layers below it, looked up one by one."""
        found = {}
        info = self.describe(name)
        while info is not None and info.name not in found:
            found[info.name] = info
            info = self.describe(info.parent) if info.parent else None
        return found

    def images(self, name=None):
        names = sorted(
            kind(vol)[1] for vol in self.volumes() if kind(vol)[0] == "tag")
        return [self.image(n) for n in names if name is None or n == name]

    def top_layer(self, name):
        """The digest of the top layer of image `name`, or None."""
        tag = self.volumes().get(tag_volume(name))
        return kind(tag.parent)[1] if tag is not None and tag.parent else None

    def make_tag(self, name, digest):
        """Point image `name` at layer `digest`. The tag is written last in every import,
        so a tag never points at an unfinished chain. An older version of the image
        loses its tag and every layer nothing else uses.

        Returns the digests of the layers removed."""
        layer = self.volumes().get(layer_volume(digest))
        if layer is None:
            raise NotFound("layer %s is not in pool %s" % (digest, self.pool_name))
        tag = tag_volume(name)
        old = self.volumes().get(tag)
        if old is not None and old.parent == layer.name:
            return []
        if old is not None:
            self.delete([tag])
        self.create(tag, layer.capacity, "qcow2", digest)
        if old is None or old.parent is None:
            return []
        removed = self.graph().removal([old.parent])
        self.delete(removed)
        return [kind(vol)[1] for vol in removed]

    # -- layers -----------------------------------------------------------------------

    def layers(self, digest=None):
        vols = self.volumes()
        graph = self.graph()
        found = []
        for name in sorted(vols):
            what, layer_digest = kind(name)
            if what != "layer" or digest not in (None, layer_digest):
                continue
            info = vols[name]
            used_by = {"images": [], "vms": [], "layers": [], "volumes": []}
            for user in sorted(graph.users(name)):
                user_kind, rest = kind(user)
                key = {"tag": "images", "work": "vms", "layer": "layers"}.get(user_kind, "volumes")
                used_by[key].append(rest)
            found.append({
                "digest": layer_digest,
                "parent": kind(info.parent)[1] if info.parent else None,
                "size": info.physical,
                "created": iso_time(info.mtime),
                "used_by": used_by,
            })
        return found
