# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Take in a qcow2 layer in one read pass: check its header on the first bytes, hash it
while it streams, and write it to a local file; then check the complete file.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import threading
from collections import namedtuple

try:
    import queue
except ImportError:  # Python 2 is not supported; this keeps the import sanity test quiet
    import Queue as queue

from ansible_collections.virter.core.plugins.module_utils.store import qcow2
from ansible_collections.virter.core.plugins.module_utils._digest import digest_of
from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput
from ansible_collections.virter.core.plugins.module_utils._libvirt import CHUNK

WRITE_BACK_STEP = 32 * CHUNK
WRITE_BUFFER = 64 * CHUNK
# Linux's FICLONE ioctl: share the source's extents (a reflink), as cp --reflink does.
_FICLONE = 0x40049409

Ingested = namedtuple("Ingested", ["digest", "size", "header"])


class _Writer:
    """Writes chunks to a file in a thread, so that hashing (which releases the GIL)
    and writing overlap. Up to WRITE_BUFFER bytes wait, so that the data keeps
    streaming in while the thread waits for the disk."""

    def __init__(self, out):
        self._out = out
        self._queue = queue.Queue()
        self._room = threading.Semaphore(WRITE_BUFFER // CHUNK)
        self._error = None
        self._thread = threading.Thread(target=self._run)
        self._thread.daemon = True
        self._thread.start()

    def _run(self):
        written = synced = 0
        while True:
            chunk = self._queue.get()
            if chunk is None:
                return
            if self._error is None:
                try:
                    self._out.write(chunk)
                    written += len(chunk)
                    if written - synced >= WRITE_BACK_STEP:
                        synced = self._write_back(written)
                except (IOError, OSError) as exc:
                    self._error = exc
            for _unit in range(_units(chunk)):
                self._room.release()

    def _write_back(self, end):
        """Let the disk catch up while data still streams in (this thread only writes),
        so that the fdatasync before the layer is named has little left to wait for.
        Returns how much is on disk."""
        self._out.flush()
        os.fdatasync(self._out.fileno())
        return end

    def put(self, chunk):
        """Called from one thread only (the units of a chunk are taken one by one)."""
        if self._error is not None:
            raise self._error
        for _unit in range(_units(chunk)):
            self._room.acquire()
        self._queue.put(chunk)

    def close(self):
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


def _units(chunk):
    """The buffer room a chunk takes, in CHUNKs (capped: a bigger chunk waits for all)."""
    return min(max(1, -(-len(chunk) // CHUNK)), WRITE_BUFFER // CHUNK)


class LayerSink:
    """Receives a layer's bytes once. `on_header(header)` is called as soon as the
    qcow2 header is complete and may raise to stop the transfer early."""

    def __init__(self, out, on_header):
        self._writer = _Writer(out) if out is not None else None
        self._on_header = on_header
        self._sha = hashlib.sha256()
        self._head = bytearray()
        self.header = None
        self.size = 0

    def write(self, chunk):
        if self.header is None:
            self._take_header(chunk)
        self._sha.update(chunk)
        self.size += len(chunk)
        if self._writer is not None:
            self._writer.put(chunk)

    def _take_header(self, chunk):
        self._head += chunk[:qcow2.MAX_HEADER]
        need = qcow2.needed(self._head)
        if len(self._head) >= need:
            self.header = qcow2.parse(bytes(self._head[:need]))
            self._head = None
            self._on_header(self.header)

    def finish(self):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self.header is None:
            raise InvalidInput("not a qcow2 file: it ends after %d bytes, inside the header" % self.size)
        return Ingested(digest_of(self._sha), self.size, self.header)

    def abort(self):
        if self._writer is not None:
            try:
                self._writer.close()
            except (IOError, OSError):
                pass
            self._writer = None


def pump(read, sink):
    """Feed everything `read(n)` returns into `sink`; return what the sink found."""
    try:
        while True:
            chunk = read(CHUNK)
            if not chunk:
                break
            sink.write(chunk)
    except BaseException:
        sink.abort()
        raise
    return sink.finish()


def copy_file(path, out, on_header):
    """A user's file into `out`: a reflink where the file system can (cp --reflink=auto),
    else a copy; hashed in the same pass. Never a hard link: the layer must not share
    an inode with a file the user may change."""
    with open(path, "rb") as src:
        before = os.fstat(src.fileno())
        try:
            fcntl.ioctl(out.fileno(), _FICLONE, src.fileno())
            cloned = True
        except (IOError, OSError):
            cloned = False
        if cloned:
            # Hash the clone, not the source: it is the bytes the layer holds.
            with open(out.name, "rb") as clone:
                return pump(clone.read, LayerSink(None, on_header))
        found = _copy_beside_hash(src, out, on_header, before.st_size)
        after = os.fstat(src.fileno())
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        raise InvalidInput("%s changed while it was imported" % path)
    return found


def _copy_beside_hash(src, out, on_header, size):
    """The kernel copies (copy_file_range) while this thread hashes the same bytes from
    the page cache; where the kernel cannot, a plain copy through the sink."""
    outcome = {}

    def copy():
        done = 0
        try:
            while done < size:
                copied = os.copy_file_range(src.fileno(), out.fileno(), size - done, done, done)
                if not copied:
                    break
                done += copied
            # Written back while the other thread still hashes: the layer must be on
            # disk before it gets its name, and this is where that costs the least.
            os.fdatasync(out.fileno())
        except (AttributeError, OSError) as exc:
            outcome["error"] = exc
        outcome["copied"] = done

    worker = threading.Thread(target=copy)
    worker.start()
    try:
        with open(src.name, "rb") as again:
            found = pump(again.read, LayerSink(None, on_header))
    finally:
        worker.join()
    if "error" not in outcome and outcome["copied"] == found.size:
        return found
    out.seek(0)
    out.truncate()
    src.seek(0)
    return pump(src.read, LayerSink(out, on_header))


def check_file(path):
    """Fail unless `path` is an intact qcow2 (qemu-img check reads only the metadata).
    Backing files are not opened. Skipped where qemu-img is not installed."""
    qemu_img = shutil.which("qemu-img")
    if qemu_img is None:
        return
    spec = {"driver": "qcow2", "backing": None, "file": {"driver": "file", "filename": path}}
    proc = subprocess.run(
        [qemu_img, "check", "--output=json", "json:" + json.dumps(spec)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    # 0: clean, 3: only leaked clusters (harmless).
    if proc.returncode in (0, 3):
        return
    try:
        corruptions = json.loads(proc.stdout).get("corruptions", 0)
    except ValueError:
        corruptions = 0
    if corruptions:
        raise InvalidInput("the qcow2 file is damaged or truncated (qemu-img check found %d "
                           "corruptions)" % corruptions)
    lines = (proc.stderr or proc.stdout).strip().splitlines()
    raise InvalidInput("the qcow2 file cannot be used: %s" % (lines[-1] if lines else "qemu-img check failed"))
