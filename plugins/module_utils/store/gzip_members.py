# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gzip as a series of members, compressed in parallel; and a reader of any gzip
stream, one member or many.

PRIVATE to the collection: no stable API.

Each member holds a fixed amount of uncompressed data (the last one less), deflated at
level 1 with fixed header fields, so the bytes, and the digest of the blob, are the same
whatever the number of threads. A stream of members is valid gzip (RFC 1952): gunzip,
Python and Go (virter) read it as one.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import collections
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput

MEMBER_SIZE = 16 * 1024 * 1024
# Magic, deflate, no flags, mtime 0, XFL 4 (fastest), OS 255 (unknown).
_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x04\xff"
# zlib's window bits for a raw deflate stream (no zlib or gzip wrapper) and for gzip.
_RAW = -15
_GZIP = 31


def member(data):
    """One gzip member holding `data`, deflated at level 1 (zlib releases the GIL
    while it deflates, so members compress in parallel in threads)."""
    deflate = zlib.compressobj(1, zlib.DEFLATED, _RAW, 8, zlib.Z_DEFAULT_STRATEGY)
    body = deflate.compress(data) + deflate.flush()
    trailer = struct.pack("<II", zlib.crc32(data) & 0xffffffff, len(data) & 0xffffffff)
    return b"".join((_HEADER, body, trailer))


def read_full(read, size):
    """Up to `size` bytes from `read(n)`, fewer only at the end of the data."""
    data = read(size)
    if len(data) == size or not data:
        return data
    parts = [data]
    have = len(data)
    while have < size:
        more = read(size - have)
        if not more:
            break
        parts.append(more)
        have += len(more)
    return b"".join(parts)


def compress(read, threads, member_size=MEMBER_SIZE):
    """Yield the gzip stream of everything `read(n)` returns, in order, with up to
    `threads` members compressing at once. At most threads + 1 members are held."""
    threads = max(1, threads)
    pending = collections.deque()
    pool = ThreadPoolExecutor(max_workers=threads)
    try:
        first = True
        while True:
            data = read_full(read, member_size)
            if not data and not first:
                break
            first = False
            pending.append(pool.submit(member, data))
            if len(pending) > threads:
                yield pending.popleft().result()
            if len(data) < member_size:
                break
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True)


class GzipReader:
    """`read(n)` of the data in a gzip stream of one or more members, read from
    `read(n)` of the compressed bytes. CRC and length of each member are checked by
    zlib; no call returns more than n bytes, whatever the compression ratio."""

    def __init__(self, read, chunk):
        self._read = read
        self._chunk = chunk
        self._inflate = zlib.decompressobj(_GZIP)
        self._fresh = True  # the current member has not been given any input yet
        self._left = b""  # input after the end of the last member
        self._members = 0
        self._done = False

    def _input(self):
        if self._inflate.unconsumed_tail:
            return self._inflate.unconsumed_tail
        if self._left:
            data, self._left = self._left, b""
            return data
        return self._read(self._chunk)

    def read(self, size):
        while not self._done:
            data = self._input()
            if not data and self._fresh:
                self._end()
                break
            self._fresh = False
            try:
                # With no input left, zlib still hands out what it holds.
                out = self._inflate.decompress(data, size)
            except zlib.error as exc:
                raise InvalidInput("the layer blob is not valid gzip: %s" % exc)
            if self._inflate.eof:
                self._members += 1
                self._left = self._inflate.unused_data
                self._inflate = zlib.decompressobj(_GZIP)
                self._fresh = True
            elif not data and not out:
                raise InvalidInput("the layer blob is truncated: its gzip stream ends inside a member")
            if out:
                return out
        return b""

    def _end(self):
        if not self._members:
            raise InvalidInput("the layer blob is empty")
        self._done = True
