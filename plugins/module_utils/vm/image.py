# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The image a new VM boots from, made present as `pull_policy` says.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.virter.core.plugins.module_utils._errors import NotFound
from ansible_collections.virter.core.plugins.module_utils.image.lock import held_image
from ansible_collections.virter.core.plugins.module_utils.store.names import local_image_name


def ensure(conn, store, image, params, check_mode):
    """(local image name, its top layer) for `image`, a local name or a registry
    reference. In check mode a pull only reads the registry's manifest and config, and
    the top layer is the one the pull would give."""
    name = local_image_name(image)
    top = store.top_layer(name)
    if not must_pull(image, params["pull_policy"], top is not None, store.pool_name):
        return name, top
    # Here only: the registry client's imports cost more than creating a VM otherwise does.
    from ansible_collections.virter.core.plugins.module_utils.store.layer_import import LayerImporter
    from ansible_collections.virter.core.plugins.module_utils.registry.reference import parse_reference
    from ansible_collections.virter.core.plugins.module_utils.registry.pull import pull_image

    ref = parse_reference(image, "image")
    # Only a pool that is not on this machine needs a temporary directory: the system's.
    importer = LayerImporter(store, None)
    if check_mode:
        return name, pull_image(store, importer, ref, name, params, True)["top_layer"]
    with held_image(store, name):
        # A run this one waited for may have pulled it.
        top = store.top_layer(name)
        if not must_pull(image, params["pull_policy"], top is not None, store.pool_name):
            return name, top
        return name, pull_image(store, importer, ref, name, params, False)["top_layer"]


def must_pull(image, policy, present, pool):
    """Whether `image` is pulled under `policy`, its local image being `present` in
    storage pool `pool` or not; NotFound when it is missing and is not pulled."""
    name = local_image_name(image)
    is_ref = name != image
    if is_ref and (policy == "Always" or (policy == "IfNotExist" and not present)):
        return True
    if present:
        return False
    if is_ref:
        raise NotFound("image %s (the local name of %s) is not in storage pool %s and pull_policy is "
                       "Never: set pull_policy IfNotExist, or pull it with virter.core.virter_image"
                       % (name, image, pool))
    raise NotFound("image %s is not in storage pool %s (pull_policy %s): only a registry reference "
                   "(<host>[:<port>]/<repository>[:<tag>]) is pulled; import it with "
                   "virter.core.virter_image" % (name, pool, policy))
