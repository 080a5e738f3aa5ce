# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pull a virter image from a registry into the store.

PRIVATE to the collection: no stable API.

Layers whose diff id the pool already has are not downloaded. Each missing blob streams
through decompression into its layer's work volume; on the way the blob's digest and
size, the diff id of the data and the qcow2 backing file (the layer below) are checked,
so a layer only gets its name when all of them hold. pull_image writes the tag last. A
failed pull removes the layers it added.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import hashlib

from ansible_collections.virter.core.plugins.module_utils.store.codecs import decompressed_reader
from ansible_collections.virter.core.plugins.module_utils._digest import digest_of
from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput, NotFound, TransferFailed, undo
from ansible_collections.virter.core.plugins.module_utils._libvirt import CHUNK
from ansible_collections.virter.core.plugins.module_utils.store.ingest import LayerSink, pump
from ansible_collections.virter.core.plugins.module_utils.registry.oci import COMPRESSION_OF
from ansible_collections.virter.core.plugins.module_utils.registry.client import client_for
from ansible_collections.virter.core.plugins.module_utils.registry.remote_image import fetch
from ansible_collections.virter.core.plugins.module_utils.store.names import backing_path, kind, layer_volume
from ansible_collections.virter.core.plugins.module_utils.store.threaded_reader import ThreadedReader
from ansible_collections.virter.core.plugins.module_utils._transfer import TRANSPORT_ERRORS, reason

# Decompressed data moves between the threads in pieces this big: with 1 MiB pieces the
# hand-overs between four threads cost more than the decompression.
_STAGE = 16 * CHUNK


def pull_image(store, importer, ref, name, params, check_mode):
    """Image `name` (as Store.image gives it) after pulling Reference `ref`; the tag is
    written after every layer is in place. In check mode nothing is written and the image
    is as the registry says it would be."""
    pull = RegistryPull(store, importer, ref, params)
    if check_mode:
        return pull.predicted(name)
    store.make_tag(name, pull.run(name))
    return store.image(name)


class RegistryPull:
    def __init__(self, store, importer, ref, params):
        self.store = store
        self.importer = importer
        self.client = client_for(ref, params)
        self._remote = None

    def remote(self):
        """The RemoteImage to pull (manifest and config only)."""
        if self._remote is None:
            remote = fetch(self.client)
            if remote is None:
                raise NotFound("registry %s has no image %s (unknown repository or tag)" % (
                    self.client.ref.registry, self.client.ref))
            self._remote = remote
        return self._remote

    def predicted(self, name):
        """The image as a pull would make it (check mode); what only the pull can
        know is None."""
        diff_ids = self.remote().diff_ids
        return {"name": name, "top_layer": diff_ids[-1], "layers": list(diff_ids),
                "virtual_size": None, "created": None}

    def run(self, name):
        """Make every layer present, base first; returns the top layer's digest."""
        remote = self.remote()
        added = []
        parent = None
        try:
            for index, (layer, diff_id) in enumerate(zip(remote.layers, remote.diff_ids)):
                info = self.store.volumes().get(layer_volume(diff_id))
                if info is None:
                    source = _BlobSource(self.client, layer, diff_id, parent, index)
                    self.importer.import_layer(name, source, diff_id)
                    added.append(layer_volume(diff_id))
                elif (kind(info.parent)[1] if info.parent else None) != parent:
                    raise InvalidInput("layer %d of %s (%s) lies on %s in pool %s, but the image puts it "
                                       "on %s" % (index, self.client.ref, diff_id, info.parent,
                                                  self.store.pool_name, parent))
                parent = diff_id
        except BaseException:
            undo(self._remove, added)
            raise
        return parent

    def _remove(self, added):
        """Delete the layers this pull added that nothing uses (none do yet)."""
        graph = self.store.graph()
        self.store.delete(graph.removal(list(reversed(added)), keep=lambda vol: vol not in added))


class _BlobSource:
    """One layer blob as a source for LayerImporter.import_layer."""

    def __init__(self, client, layer, diff_id, parent, index):
        self.client = client
        self.layer = layer
        self.diff_id = diff_id
        self.parent = parent
        self.what = "layer %d of %s" % (index, client.ref)

    def copy_into(self, out, on_header):
        sha = hashlib.sha256()
        seen = [0]

        def checked_header(header):
            expected = backing_path(self.parent) if self.parent else None
            if header.backing_file != expected:
                below = "the layer below it is %s" % self.parent if self.parent else "it is the first layer"
                raise InvalidInput("%s is backed by %r, but %s in the image" % (
                    self.what, header.backing_file, below))
            on_header(header)

        with self.client.blob(self.layer.digest) as response:
            def produce(write):
                try:
                    while True:
                        chunk = response.raw.read(CHUNK, decode_content=False)
                        if not chunk:
                            return
                        sha.update(chunk)
                        seen[0] += len(chunk)
                        write(chunk)
                except TRANSPORT_ERRORS as exc:
                    raise TransferFailed("the download of blob %s (%s)" % (self.layer.digest, self.what),
                                         seen[0], self.layer.size, reason(exc))

            # Three stages in threads: receive (and hash the blob), decompress, hash
            # the data (and write it, in the sink's own thread).
            compressed = ThreadedReader(produce)
            reader = decompressed_reader(COMPRESSION_OF[self.layer.media_type], compressed.read)
            data = ThreadedReader(lambda write: _copy(reader.read, write), depth=2)
            try:
                found = pump(lambda _size: data.read(_STAGE), LayerSink(out, checked_header))
            except InvalidInput:
                # Damaged data: say so by its digest if the blob is not what the
                # manifest names (the clearer message), else as it failed.
                data.close()
                while compressed.read(CHUNK):
                    pass
                self._check_blob(sha, seen[0])
                raise
            finally:
                data.close()
                compressed.close()
        self._check_blob(sha, seen[0])
        if found.digest != self.diff_id:
            raise InvalidInput("%s does not match the image's config: its data has digest %s, the "
                               "diff id is %s" % (self.what, found.digest, self.diff_id))
        return found

    def _check_blob(self, sha, size):
        digest = digest_of(sha)
        if digest != self.layer.digest or size != self.layer.size:
            raise InvalidInput("%s is corrupt: blob %s has %d bytes with digest %s (the manifest says "
                               "%d bytes)" % (self.what, self.layer.digest, size, digest, self.layer.size))


def _copy(read, write):
    while True:
        chunk = read(_STAGE)
        if not chunk:
            return
        write(chunk)
