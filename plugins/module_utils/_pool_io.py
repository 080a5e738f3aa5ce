# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The two ways data gets in and out of a pool: straight through the pool directory
when it is this machine's own, or through libvirt's stream API.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

try:
    import libvirt
except ImportError:
    libvirt = None  # reported by _client.require_libraries()

from ansible_collections.virter.core.plugins.module_utils._errors import LibvirtError
from ansible_collections.virter.core.plugins.module_utils._ingest import CHUNK


def local_path(store, info):
    """The local path of volume `info` when the pool directory is this machine's own and
    writable, else None.

    Probed, not assumed: the file at the volume's path must have the size and the
    nanosecond mtime libvirt reports for it, so a directory that merely has the same
    name on another host does not count."""
    if store.target_path is None or info is None:
        return None
    path = os.path.join(store.target_path, info.name)
    if os.path.normpath(info.path or "") != os.path.normpath(path):
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    if stat.st_mtime_ns != info.mtime_ns or stat.st_size != info.physical:
        return None
    return path if os.access(store.target_path, os.W_OK) else None


def upload(conn, vol, path):
    """Send the local file `path` into `vol`."""
    size = os.path.getsize(path)
    stream = conn.newStream(0)
    try:
        vol.upload(stream, 0, size, 0)
        with open(path, "rb") as src:
            while True:
                chunk = src.read(CHUNK)
                if not chunk:
                    break
                while chunk:
                    sent = stream.send(chunk)
                    chunk = chunk[sent:]
        stream.finish()
    except libvirt.libvirtError as exc:
        _abort(stream)
        raise LibvirtError("upload into volume %s" % vol.name(), exc)
    except BaseException:
        _abort(stream)
        raise


def download(conn, vol, out):
    """Write the whole of `vol` into the binary file object `out`."""
    stream = conn.newStream(0)
    try:
        vol.download(stream, 0, 0, 0)
        while True:
            chunk = stream.recv(CHUNK)
            if not chunk:
                break
            out.write(chunk)
        stream.finish()
    except libvirt.libvirtError as exc:
        _abort(stream)
        raise LibvirtError("download volume %s" % vol.name(), exc)
    except BaseException:
        _abort(stream)
        raise


def _abort(stream):
    try:
        stream.abort()
    except libvirt.libvirtError:
        pass


def upload_bytes(conn, vol, data):
    """Send `data` (small: a cloud-init seed) into `vol`."""
    stream = conn.newStream(0)
    try:
        vol.upload(stream, 0, len(data), 0)
        sent = 0
        while sent < len(data):
            sent += stream.send(data[sent:])
        stream.finish()
    except libvirt.libvirtError as exc:
        _abort(stream)
        raise LibvirtError("upload into volume %s" % vol.name(), exc)
