# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bytes in, layer out (and an image out as one flattened file).

PRIVATE to the collection: no stable API.

Every byte is read once: the digest is computed as the data streams in. On a local
`dir` pool the data is written straight into a work volume's file, which is then renamed
to its layer name; over a remote connection it goes through a local temporary file and
libvirt's upload stream. A layer file only ever gets its final name complete and
checked, and the tag comes after it, so an interrupted run leaves at most a work volume
(removed by the next run for the same image) or an unused layer (rewritten by the next
import of the same content, pruned otherwise). Callers hold the image's lock
(image.lock): work volumes carry a token of their run, so runs never share one.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import shutil
import subprocess
import tempfile

from ansible_collections.virter.core.plugins.module_utils._errors import (
    Conflict,
    InvalidInput,
    NotFound,
    VirterError,
    undo,
)
from ansible_collections.virter.core.plugins.module_utils.store.ingest import LayerSink, check_file, pump
from ansible_collections.virter.core.plugins.module_utils.store.pool_io import download, local_path, upload
from ansible_collections.virter.core.plugins.module_utils.store.names import (
    RUN_TOKEN_LENGTH,
    backing_path,
    import_work_volume,
    kind,
    layer_of_backing,
    layer_volume,
    save_work_volume,
)

# Layers must be readable by QEMU's user (libvirt hands them to it when a VM starts).
LAYER_MODE = 0o644


class LayerImporter:
    def __init__(self, store, tmpdir, local_io=True):
        """`local_io=False` always uses libvirt streams (otherwise they are used only
        when the pool directory is not this machine's own)."""
        self.store = store
        self.tmpdir = tmpdir
        self.local_io = local_io
        # Names this run's work volumes: a parallel run of the same image has its own.
        self.run = os.urandom(RUN_TOKEN_LENGTH // 2).hex()

    def _local(self, info):
        return local_path(self.store, info) if self.local_io else None

    # -- import -----------------------------------------------------------------------

    def import_layer(self, image, source, checksum=None):
        """Copy an opened source into the store as one layer -> Ingested."""
        work = import_work_volume(image, self.run)
        self.store.create(work, 0, "raw")
        try:
            path = self._local(self.store.volumes().get(work))
            if path is None:
                self.store.delete([work])
                return self._import_streamed(source, checksum)
            with open(path, "wb") as out:
                found = source.copy_into(out, self._check_backing)
                self._verify(path, found, checksum)
                if not _is_file(out, path):
                    raise Conflict("work volume %s of this import of image %s was removed by another run, "
                                   "which found its lock stale: run the task again" % (work, image))
                self._place(path, found.digest, work)
            return found
        finally:
            self.store.delete_leftover(work)

    def _import_streamed(self, source, checksum):
        with tempfile.NamedTemporaryFile(dir=self.tmpdir, prefix="virter-layer-") as tmp:
            found = source.copy_into(tmp, self._check_backing)
            tmp.flush()
            self._verify(tmp.name, found, checksum)
            self._upload(tmp.name, found.digest)
        return found

    def _check_backing(self, header):
        """Only standalone files and files backed by a layer of this store are layers."""
        backing = header.backing_file
        if backing is None:
            return
        parent = layer_of_backing(backing)
        if parent is None or backing != backing_path(kind(parent)[1]):
            raise InvalidInput(
                "the qcow2 file is backed by %r, which is outside the store: import a "
                "standalone qcow2 (qemu-img convert -O qcow2 flattens one) or one backed "
                "by ./virter:layer:sha256:<hex>" % backing)
        if parent not in self.store.volumes():
            raise InvalidInput("the qcow2 file is backed by layer %s, which is not in pool %s" % (
                kind(parent)[1], self.store.pool_name))

    @staticmethod
    def _verify(path, found, checksum):
        if checksum and found.digest != checksum:
            raise InvalidInput("checksum mismatch: expected %s, got %s" % (checksum, found.digest))
        check_file(path)

    def _place(self, path, digest, work, link=False):
        """Give the complete file at `path` (work volume `work`) its layer name; with
        `link`, the work volume keeps its name too (a hard link) for the caller to delete."""
        layer = layer_volume(digest)
        if layer in self.store.volumes():
            if self.store.graph().users(layer):
                if not link:
                    self.store.delete([work])  # the layer is there and in use: keep that one
                return
            if link:  # a link cannot replace a name; the rename below does
                self.store.delete([layer])
        # A layer nothing uses may be what an interrupted upload left: replace it.
        os.chmod(path, LAYER_MODE)
        _write_back(path)
        (os.link if link else os.rename)(path, os.path.join(self.store.target_path, layer))
        self.store.refresh([layer, work])

    def _upload(self, path, digest):
        layer = layer_volume(digest)
        if layer in self.store.volumes():
            if self.store.graph().users(layer):
                return
            self.store.delete([layer])
        vol = self.store.create(layer, 0, "raw")
        try:
            upload(self.store.conn, vol, path)
        except BaseException:
            undo(self.store.delete, [layer])
            raise
        self.store.refresh([layer])

    # -- commit -----------------------------------------------------------------------

    def commit(self, work):
        """Make a layer of the work volume `work` (a stopped VM's overlay) -> its digest.
        The work volume stays: the caller deletes it once a tag holds the layer, so that
        a run killed before that finds the overlay to commit again."""
        info = self.store.volumes().get(work)
        if info is None:
            raise NotFound("volume %s is not in pool %s" % (work, self.store.pool_name))
        path = self._local(info)
        if path is not None:
            with open(path, "rb") as src:
                found = pump(src.read, LayerSink(None, self._check_backing))
            self._place(path, found.digest, work, link=True)
            return found.digest
        with tempfile.NamedTemporaryFile(dir=self.tmpdir, prefix="virter-layer-") as tmp:
            sink = LayerSink(tmp, self._check_backing)
            try:
                download(self.store.conn, self.store.lookup(work), sink)
            except BaseException:
                sink.abort()
                raise
            found = sink.finish()
            tmp.flush()
            self._upload(tmp.name, found.digest)
        return found.digest

    # -- save -------------------------------------------------------------------------

    def save(self, image, dest):
        """Write image `image` as one standalone (flattened) qcow2 file to `dest`,
        atomically: a partial file never carries the name `dest`."""
        top = self.store.volumes()[layer_volume(self.store.top_layer(image))]
        part = os.path.join(os.path.dirname(dest), "." + os.path.basename(dest) + ".virter-part")
        qemu_img = shutil.which("qemu-img")
        src = self._local(top)
        try:
            if src is not None and qemu_img is not None:
                _convert(qemu_img, src, part)
            else:
                self._save_streamed(image, top, part)
            os.replace(part, dest)
        finally:
            if os.path.exists(part):
                os.unlink(part)

    def _save_streamed(self, image, top, part):
        work = save_work_volume(image, self.run)
        vol = self.store.clone(work, top.capacity, self.store.lookup(top.name))
        try:
            with open(part, "wb") as out:
                download(self.store.conn, vol, out)
        finally:
            self.store.delete([work])


def _is_file(out, path):
    """Whether the open file `out` is still the file at `path`."""
    try:
        return os.fstat(out.fileno()).st_ino == os.stat(path).st_ino
    except OSError:
        return False


def _write_back(path):
    """Put the file's data on disk, so that after a power cut a layer name never names
    a file with holes (a rerun trusts the name). Cheap when it already is there."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fdatasync(fd)
    finally:
        os.close(fd)


def _convert(qemu_img, src, dest):
    # Absolute paths: qemu-img reads a 'virter:' before any '/' as a protocol.
    proc = subprocess.run([qemu_img, "convert", "-f", "qcow2", "-O", "qcow2", src, dest],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          check=False)
    if proc.returncode != 0:
        raise VirterError("qemu-img convert failed: %s" % proc.stderr.strip())
