# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The qcow2 header, read from the first bytes of a file as they stream in (pure).

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import struct
from collections import namedtuple

from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput

MAGIC = b"QFI\xfb"
# The fixed part of a version 3 header (version 2 needs only 72 bytes).
_V3_LENGTH = 104
# A backing file name lies in the first cluster; refuse to buffer more than this.
MAX_HEADER = 2 * 1024 * 1024
# Incompatible feature bit 2: the guest data lives in an external file.
_EXTERNAL_DATA_FILE = 1 << 2

Header = namedtuple("Header", ["version", "virtual_size", "backing_file"])


def needed(prefix):
    """How many leading bytes parse() needs, given at least the first 32."""
    if len(prefix) < 32:
        return 32
    _check_magic(prefix)
    offset, size = struct.unpack(">QI", prefix[8:20])
    end = offset + size if offset else 0
    if end > MAX_HEADER:
        raise InvalidInput("not a usable qcow2 file: its backing file name lies at byte %d" % offset)
    return max(_V3_LENGTH, end)


def parse(data):
    """Header fields from the first needed(data) bytes of a qcow2 file."""
    _check_magic(data)
    version, offset, size = struct.unpack(">IQI", data[4:20])
    virtual_size = struct.unpack(">Q", data[24:32])[0]
    if version not in (2, 3):
        raise InvalidInput("unsupported qcow2 version %d" % version)
    if version == 3 and struct.unpack(">Q", data[72:80])[0] & _EXTERNAL_DATA_FILE:
        raise InvalidInput("qcow2 files with an external data file cannot be layers")
    backing = None
    if offset:
        raw = data[offset:offset + size]
        if len(raw) != size:
            raise InvalidInput("truncated qcow2 header")
        try:
            backing = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("qcow2 backing file name is not UTF-8")
    return Header(version=version, virtual_size=virtual_size, backing_file=backing)


def _check_magic(data):
    if data[:4] != MAGIC:
        raise InvalidInput(
            "not a qcow2 file (it starts with %r, qcow2 starts with %r); convert it with "
            "qemu-img convert -O qcow2 first" % (bytes(data[:4]), MAGIC))
