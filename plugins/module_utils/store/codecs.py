# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Layer compression by name: `gzip` (virter's, as parallel members) and `zstd`
(this collection's faster variant). Both stream: no layer is ever held whole.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.virter.core.plugins.module_utils.store import gzip_members
from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput, VirterError
from ansible_collections.virter.core.plugins.module_utils._libvirt import CHUNK

try:
    import zstandard
except ImportError:
    zstandard = None
    ZSTD_IMPORT_ERROR = traceback.format_exc()
else:
    ZSTD_IMPORT_ERROR = None


def threads():
    """Compression threads: every CPU this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def compress(compression, read):
    """Yield the compressed stream of everything `read(n)` returns."""
    if compression == "gzip":
        return gzip_members.compress(read, threads())
    return _zstd_compress(read)


def _zstd_compress(read):
    """zstd level 1 in zstd's own worker threads. Always multi-threaded: then the bytes
    do not depend on the number of threads, nor on how the input is cut. (zstandard
    0.25's read_to_iter loses data with multi-threading and reads of 16 MiB, so the
    compression object is fed directly.)"""
    compressor = _zstd().ZstdCompressor(level=1, threads=threads(), write_checksum=True).compressobj()
    while True:
        data = read(gzip_members.MEMBER_SIZE)
        if not data:
            break
        out = compressor.compress(data)
        if out:
            yield out
    yield compressor.flush()


def decompressed_reader(compression, read):
    """An object whose read(n) returns the data of the compressed stream `read(n)`
    gives; data that cannot be decompressed raises InvalidInput."""
    if compression == "gzip":
        return gzip_members.GzipReader(read, CHUNK)
    return _ZstdReader(_zstd(), read)


def _zstd():
    if zstandard is None:
        raise VirterError(missing_required_lib("zstandard") + " (for zstd layers)",
                          exception=ZSTD_IMPORT_ERROR)
    return zstandard


class _Reader:
    """A file-like object around a read(n) function."""

    def __init__(self, read):
        self.read = read


class _ZstdReader:
    """Reads across frames. zstandard's reader does not report input that ends inside
    a frame: the blob digest and the diff id, checked after the read, catch that."""

    def __init__(self, module, read):
        self._error = module.ZstdError
        self._reader = module.ZstdDecompressor().stream_reader(
            _Reader(read), read_size=CHUNK, read_across_frames=True)
        self._any = False

    def read(self, size):
        try:
            data = self._reader.read(size)
        except self._error as exc:
            raise InvalidInput("the layer blob is not valid zstd: %s" % exc)
        if data:
            self._any = True
        elif not self._any:
            raise InvalidInput("the layer blob is empty")
        return data
