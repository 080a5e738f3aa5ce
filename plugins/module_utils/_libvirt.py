# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""libvirt plumbing for the whole core: the import guard, call() that turns libvirt's
errors into LibvirtError, lookups that answer None for a missing object, a volume
stream that is aborted when a transfer fails, and the chunk size of transfers.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import contextlib
import traceback

try:
    import libvirt
except ImportError:
    libvirt = None  # reported by _ansible_module.require_libraries()
    IMPORT_ERROR = traceback.format_exc()
else:
    IMPORT_ERROR = None

from ansible_collections.virter.core.plugins.module_utils._errors import LibvirtError
from ansible_collections.virter.core.plugins.module_utils._ssh_jump import is_remote

# Bytes read or sent at a time by every transfer (files, streams, registries). 1 MiB:
# large enough for few calls, small enough to stay in the CPU cache while hashed.
CHUNK = 1024 * 1024


def call(action, func, *args):
    """func(*args); a libvirt error becomes LibvirtError ("cannot <action>: ...")."""
    try:
        return func(*args)
    except libvirt.libvirtError as exc:
        raise LibvirtError(action, exc)


def call_or_none(action, missing, func, *args):
    """func(*args), or None when libvirt answers with the error code `missing` (the
    object is not there, or was removed meanwhile); any other error as call()."""
    try:
        return func(*args)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() == missing:
            return None
        raise LibvirtError(action, exc)


def lookup_network(conn, name):
    """The network called `name`, or None."""
    return call_or_none("look up network %s" % name, libvirt.VIR_ERR_NO_NETWORK, conn.networkLookupByName, name)


def lookup_pool(conn, name):
    """The storage pool called `name`, or None."""
    return call_or_none("look up storage pool %s" % name, libvirt.VIR_ERR_NO_STORAGE_POOL,
                        conn.storagePoolLookupByName, name)


def lookup_volume(pool, name):
    """The volume called `name` in the libvirt pool `pool`, or None."""
    return call_or_none("look up volume %s" % name, libvirt.VIR_ERR_NO_STORAGE_VOL, pool.storageVolLookupByName, name)


def on_hypervisor(conn):
    """Whether this process runs on the connection's hypervisor (a URI without a host)."""
    return not is_remote(conn.getURI())


@contextlib.contextmanager
def volume_stream(conn, attach, length, action):
    """A stream that `attach` (a volume's upload or download) has attached to the volume
    for `length` bytes (0: to its end). It is finished when the block ends and aborted
    when the block (or the finish) raises. A refusal to attach is LibvirtError(action):
    libvirt's, not a broken transfer."""
    stream = conn.newStream(0)
    try:
        attach(stream, 0, length, 0)
    except libvirt.libvirtError as exc:
        _abort(stream)
        raise LibvirtError(action, exc)
    try:
        yield stream
        stream.finish()
    except BaseException:
        _abort(stream)
        raise


def _abort(stream):
    try:
        stream.abort()
    except libvirt.libvirtError:
        pass  # the error that made us abort is the one to report
