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
from ansible_collections.virter.core.plugins.module_utils._store_names import local_image_name


def ensure(conn, store, image, params, check_mode):
    """(local image name, its top layer) for `image`, a local name or a registry
    reference. The top layer is None in check mode when only a pull would tell it."""
    name = local_image_name(image)
    top = store.top_layer(name)
    if top is None:
        raise NotFound("image %s is not in storage pool %s (pull_policy %s): import it with "
                       "virter.core.virter_image" % (name, store.pool_name, params["pull_policy"]))
    return name, top
