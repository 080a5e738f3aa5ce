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

from ansible_collections.virter.core.plugins.module_utils._errors import TransferFailed
from ansible_collections.virter.core.plugins.module_utils._libvirt import CHUNK, libvirt, volume_stream


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
    done = 0
    try:
        with volume_stream(conn, vol.upload, size, "upload into volume %s" % vol.name()) as stream:
            with open(path, "rb") as src:
                while True:
                    chunk = src.read(CHUNK)
                    if not chunk:
                        break
                    while chunk:
                        sent = stream.send(chunk)
                        done += sent
                        chunk = chunk[sent:]
    except libvirt.libvirtError as exc:
        raise TransferFailed("the upload into volume %s" % vol.name(), done, size, _message(exc))


def download(conn, vol, out):
    """Write the whole of `vol` into the binary file object `out`."""
    done = 0
    try:
        with volume_stream(conn, vol.download, 0, "download volume %s" % vol.name()) as stream:
            while True:
                chunk = stream.recv(CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                done += len(chunk)
    except libvirt.libvirtError as exc:
        raise TransferFailed("the download of volume %s" % vol.name(), done, _physical(vol),
                             _message(exc))


def upload_bytes(conn, vol, data):
    """Send `data` (small: a cloud-init seed) into `vol`."""
    sent = 0
    try:
        with volume_stream(conn, vol.upload, len(data), "upload into volume %s" % vol.name()) as stream:
            while sent < len(data):
                sent += stream.send(data[sent:])
    except libvirt.libvirtError as exc:
        raise TransferFailed("the upload into volume %s" % vol.name(), sent, len(data), _message(exc))


def _physical(vol):
    """The volume's file size, when libvirt still answers."""
    try:
        return vol.infoFlags(libvirt.VIR_STORAGE_VOL_GET_PHYSICAL)[2]
    except libvirt.libvirtError:
        return None


def _message(exc):
    return exc.get_error_message() or str(exc)
