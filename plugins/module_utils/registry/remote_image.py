# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a registry holds under a reference, read without downloading layers: the
manifest and the config, checked to be a virter image.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from collections import namedtuple

from ansible_collections.virter.core.plugins.module_utils.registry.oci import MAX_CONFIG, parse_config, parse_manifest

# digest: of the manifest; layers: Descriptors, base first; diff_ids: one per layer.
RemoteImage = namedtuple("RemoteImage", ["digest", "layers", "diff_ids"])


def fetch(client):
    """The RemoteImage `client.ref` names, or None when the registry does not have it.
    A manifest that is not a virter image raises InvalidInput."""
    found = client.manifest()
    if found is None:
        return None
    body, content_type, digest = found
    config, layers = parse_manifest(body, content_type, client.ref)
    data = client.small_blob(config.digest, config.size, MAX_CONFIG)
    return RemoteImage(digest, layers, parse_config(data, len(layers), client.ref))
