# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Push a local image to a registry as virter does: a Docker v2 manifest, virter's
config, one compressed blob per layer, base first.

PRIVATE to the collection: no stable API.

"Already pushed" means the registry's manifest under the reference lists the same diff
ids with this compression: then nothing is sent. Otherwise each layer is read once,
compressed and uploaded while it is read, and its diff id is checked on the way. Layers
of the image the reference held before are not sent again when the registry still has
their blobs.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import hashlib

from ansible_collections.virter.core.plugins.module_utils.store.codecs import compress
from ansible_collections.virter.core.plugins.module_utils._digest import digest_of, sha256_digest
from ansible_collections.virter.core.plugins.module_utils._errors import Conflict, InvalidInput
from ansible_collections.virter.core.plugins.module_utils.store.layer_stream import open_layer
from ansible_collections.virter.core.plugins.module_utils.registry.oci import (
    CONFIG_TYPE,
    LAYER_TYPES,
    Descriptor,
    already_pushed,
    config_blob,
    manifest_blob,
)
from ansible_collections.virter.core.plugins.module_utils.registry.client import client_for
from ansible_collections.virter.core.plugins.module_utils.registry.remote_image import fetch


def push_image(store, layers, ref, params, check_mode, local_io=True):
    """Push the image made of `layers` (diff ids, base first; None when check mode
    cannot know them yet) to Reference `ref`. Returns (changed, {ref, digest})."""
    client = client_for(ref, params)
    compression = params["compression"]
    try:
        remote = fetch(client)
    except InvalidInput:
        remote = None  # what the reference holds is not a virter image: the push replaces it
    if remote is not None and layers is not None and already_pushed(
            remote.diff_ids, remote.layers, layers, compression):
        return False, {"ref": str(ref), "digest": remote.digest}
    if check_mode:
        return True, {"ref": str(ref), "digest": None}
    media_type = LAYER_TYPES[compression]
    earlier = {}
    if remote is not None:
        earlier = dict((diff_id, layer) for diff_id, layer in zip(remote.diff_ids, remote.layers)
                       if layer.media_type == media_type)
    blobs = []
    for diff_id in layers:
        known = earlier.get(diff_id)
        if known is not None and client.has_blob(known.digest):
            blobs.append(known)
        else:
            blobs.append(_upload_layer(store, client, diff_id, compression, local_io))
    config = config_blob(layers)
    config_desc = Descriptor(CONFIG_TYPE, sha256_digest(config), len(config))
    if not client.has_blob(config_desc.digest):
        client.upload_bytes(config)
    digest = client.put_manifest(manifest_blob(config_desc, blobs))
    return True, {"ref": str(ref), "digest": digest}


def _upload_layer(store, client, diff_id, compression, local_io):
    """Compress layer `diff_id` while it is read and uploaded; its data must still
    have that digest, or the upload is dropped unfinished."""
    sha = hashlib.sha256()
    with open_layer(store, diff_id, local_io) as read:
        def hashed_read(size):
            data = read(size)
            sha.update(data)
            return data

        def checked():
            yield from compress(compression, hashed_read)
            found = digest_of(sha)
            if found != diff_id:
                raise Conflict("layer %s in pool %s is damaged: its data has digest %s; nothing was "
                               "pushed" % (diff_id, store.pool_name, found))

        digest, size = client.upload(checked(), "the compressed blob of layer %s" % diff_id)
    return Descriptor(LAYER_TYPES[compression], digest, size)
