# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""virter's image format in a registry: media types, the config and the manifest,
built for a push and checked on a pull (pure).

PRIVATE to the collection: no stable API.

An image is a Docker v2 manifest whose config has virter's media type and lists the
layers' diff ids (sha256 of each uncompressed qcow2 file, the layer volume's name) base
first; each layer blob is that qcow2 file compressed. gzip is virter's; zstd is this
collection's faster variant, which virter cannot read.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
from collections import namedtuple

from ansible_collections.virter.core.plugins.module_utils._digest import is_digest
from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
_LISTS = ("application/vnd.docker.distribution.manifest.list.v2+json",
          "application/vnd.oci.image.index.v1+json")
# Sent as Accept: image manifests, and the lists only to name them in an error.
ACCEPT = ", ".join((DOCKER_MANIFEST, OCI_MANIFEST) + _LISTS)

CONFIG_TYPE = "application/vnd.com.linbit.virter.image.v1"
ROOTFS_TYPE = CONFIG_TYPE + ".rootfs"
LAYER_TYPES = {
    "gzip": "application/vnd.com.linbit.virter.layer.v1.qcow2.gzip",
    "zstd": "application/vnd.com.linbit.virter.layer.v1.qcow2.zstd",
}
COMPRESSION_OF = dict((media_type, name) for name, media_type in LAYER_TYPES.items())

# A config lists a few digests; anything this big is not virter's.
MAX_CONFIG = 4 * 1024 * 1024
MAX_MANIFEST = 4 * 1024 * 1024

Descriptor = namedtuple("Descriptor", ["media_type", "digest", "size"])


def _json(value):
    """Canonical JSON bytes: the same value always gives the same digest."""
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8")


def config_blob(diff_ids):
    """The image config: an OCI/Docker image config whose only meaningful part is
    rootfs.diff_ids (other fields empty, as virter writes them)."""
    return _json({
        "architecture": "",
        "os": "",
        "created": "0001-01-01T00:00:00Z",
        "config": {},
        "rootfs": {"type": ROOTFS_TYPE, "diff_ids": list(diff_ids)},
    })


def manifest_blob(config, layers):
    """The Docker v2 manifest for a config Descriptor and layer Descriptors."""
    def desc(d):
        return {"mediaType": d.media_type, "digest": d.digest, "size": d.size}
    return _json({
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": desc(config),
        "layers": [desc(layer) for layer in layers],
    })


def parse_manifest(body, content_type, ref):
    """The config and layer Descriptors of a manifest, if it is a virter image.

    Only image manifests (Docker v2 or OCI) with virter's config media type and
    virter's layer media types (gzip, or this collection's zstd) are accepted."""
    manifest = _load(body, "the manifest of %s" % ref)
    media_type = manifest.get("mediaType") or (content_type or "").split(";")[0].strip()
    if media_type in _LISTS:
        raise InvalidInput("%s is a multi-platform image index (%s), not a virter image" % (ref, media_type))
    if media_type not in (DOCKER_MANIFEST, OCI_MANIFEST) or manifest.get("schemaVersion") != 2:
        raise InvalidInput("%s has a manifest of type %r, not a virter image (a Docker v2 or OCI "
                           "image manifest)" % (ref, media_type or None))
    config = _descriptor(manifest.get("config"), "the config of %s" % ref)
    if config.media_type != CONFIG_TYPE:
        raise InvalidInput("%s is not a virter image: its config has media type %r, expected %r "
                           "(an ordinary container image cannot be a VM image)" % (
                               ref, config.media_type, CONFIG_TYPE))
    layers = manifest.get("layers")
    if not isinstance(layers, list) or not layers:
        raise InvalidInput("%s has no layers" % ref)
    found = []
    for index, raw in enumerate(layers):
        layer = _descriptor(raw, "layer %d of %s" % (index, ref))
        if layer.media_type not in COMPRESSION_OF:
            raise InvalidInput("layer %d of %s has media type %r; a virter image has %s" % (
                index, ref, layer.media_type, " or ".join(sorted(COMPRESSION_OF))))
        found.append(layer)
    return config, found


def parse_config(body, layer_count, ref):
    """The diff ids a config lists, one per layer, base first."""
    config = _load(body, "the config of %s" % ref)
    rootfs = config.get("rootfs")
    diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    if not isinstance(diff_ids, list):
        raise InvalidInput("the config of %s has no rootfs.diff_ids" % ref)
    if len(diff_ids) != layer_count:
        raise InvalidInput("the config of %s lists %d diff ids for %d layers" % (
            ref, len(diff_ids), layer_count))
    for diff_id in diff_ids:
        if not is_digest(diff_id):
            raise InvalidInput("the config of %s has an invalid diff id %r" % (ref, diff_id))
    return diff_ids


def already_pushed(remote_diff_ids, remote_layers, diff_ids, compression):
    """The push would add nothing: the remote image has the same layers, compressed
    the same way."""
    wanted = LAYER_TYPES[compression]
    return (list(remote_diff_ids) == list(diff_ids)
            and all(layer.media_type == wanted for layer in remote_layers))


def _load(body, what):
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("%s is not JSON" % what)
    if not isinstance(value, dict):
        raise InvalidInput("%s is not a JSON object" % what)
    return value


def _descriptor(raw, what):
    if not isinstance(raw, dict):
        raise InvalidInput("%s is missing" % what)
    media_type, digest, size = raw.get("mediaType"), raw.get("digest"), raw.get("size")
    if not is_digest(digest):
        raise InvalidInput("%s has digest %r; only sha256:<64 hex digits> is supported" % (what, digest))
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise InvalidInput("%s has an invalid size %r" % (what, size))
    return Descriptor(media_type, digest, size)
