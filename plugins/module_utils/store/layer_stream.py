# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A layer volume read as a stream: straight from the pool directory when it is this
machine's own, else through libvirt's download stream in a thread.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import contextlib
import os

from ansible_collections.virter.core.plugins.module_utils._errors import NotFound
from ansible_collections.virter.core.plugins.module_utils.store.pool_io import download, local_path
from ansible_collections.virter.core.plugins.module_utils.store.names import layer_volume
from ansible_collections.virter.core.plugins.module_utils.store.threaded_reader import ThreadedReader


class _Writes:
    def __init__(self, write):
        self.write = write


@contextlib.contextmanager
def open_layer(store, digest, local_io=True):
    """Yields read(n) of the qcow2 file of layer `digest`."""
    info = store.volumes().get(layer_volume(digest))
    if info is None:
        raise NotFound("layer %s is not in pool %s" % (digest, store.pool_name))
    path = local_path(store, info) if local_io else None
    if path is not None:
        with open(path, "rb") as src:
            os.posix_fadvise(src.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
            yield src.read
        return
    vol = store.lookup(info.name)
    reader = ThreadedReader(lambda write: download(store.conn, vol, _Writes(write)))
    try:
        yield reader.read
    finally:
        reader.close()
