# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Names of the store's volumes and of images, as LINBIT virter spells them (pure).

PRIVATE to the collection: no stable API.

A pool holds three kinds of volume: immutable layers `virter:layer:sha256:<hex>` named by
the sha256 of their qcow2 file, tags `virter:tag:<image>` (an empty qcow2 backed by the
image's top layer) and writable work volumes `virter:work:<...>` (VM disks, imports).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import posixpath
import re

from ansible_collections.virter.core.plugins.module_utils._digest import is_digest
from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput

LAYER_PREFIX = "virter:layer:"
TAG_PREFIX = "virter:tag:"
WORK_PREFIX = "virter:work:"

# Work volumes of the store itself carry a ':' after their purpose. VM names never
# contain ':', so these can never collide with a VM's `virter:work:<vm>` (virter's HTTP
# pull used `virter:work:<image>`, which can).
_IMPORT_WORK = WORK_PREFIX + "import:"
_SAVE_WORK = WORK_PREFIX + "save:"

RUN_TOKEN_LENGTH = 12
_RUN_RE = re.compile(r":[0-9a-f]{%d}$" % RUN_TOKEN_LENGTH)


def validate_digest(digest, what="digest"):
    """Return `digest` ('sha256:<64 lowercase hex>') or raise InvalidInput."""
    if not is_digest(digest):
        raise InvalidInput("invalid %s %r: expected sha256:<64 hex digits>" % (what, digest))
    return digest


def layer_volume(digest):
    return LAYER_PREFIX + digest


def tag_volume(image):
    return TAG_PREFIX + image


def import_work_volume(image, run):
    """The work volume that run `run` (a token of RUN_TOKEN_LENGTH hex digits) of an
    import of `image` writes to: runs never share one."""
    return "%s%s:%s" % (_IMPORT_WORK, image, run)


def save_work_volume(image, run):
    return "%s%s:%s" % (_SAVE_WORK, image, run)


def is_work_of(volume, image):
    """Whether `volume` is a work volume of an import or save of `image`, by any run
    (or by an older version of the collection, which named them after the image only)."""
    for prefix in (_IMPORT_WORK, _SAVE_WORK):
        if volume.startswith(prefix):
            rest = volume[len(prefix):]
            return rest == image or _RUN_RE.sub("", rest) == image
    return False


def backing_path(digest):
    """The backing file name written into overlays: relative, and with './' so that
    qemu does not read 'virter:' as a protocol."""
    return "./" + layer_volume(digest)


def kind(volume):
    """('layer', digest) / ('tag', image) / ('work', rest) / (None, volume)."""
    for prefix, name in ((LAYER_PREFIX, "layer"), (TAG_PREFIX, "tag"), (WORK_PREFIX, "work")):
        if volume.startswith(prefix):
            return name, volume[len(prefix):]
    return None, volume


def layer_of_backing(path):
    """The layer volume a backing path names (by its base name, as virter resolves it),
    or None when the backing file is not a layer of the store."""
    if not path:
        return None
    base = posixpath.basename(path)
    if base.startswith(LAYER_PREFIX) and is_digest(base[len(LAYER_PREFIX):]):
        return base
    return None


def local_image_name(ref):
    """virter's LocalImageName: a registry reference becomes a local image name
    (`reg:5000/foo/bar:baz` -> `foo--bar-baz`, no tag -> `-latest`); anything without a
    registry part is returned unchanged (`debian-12`, `provision:latest`)."""
    first, sep, rest = ref.partition("/")
    if not sep or not ("." in first or ":" in first or first == "localhost"):
        return ref
    repo, at, digest = rest.partition("@")
    tag = digest if at else None
    if not at:
        last_slash = repo.rfind("/")
        colon = repo.rfind(":")
        if colon > last_slash:
            repo, tag = repo[:colon], repo[colon + 1:]
    if first in ("docker.io", "index.docker.io") and "/" not in repo:
        repo = "library/" + repo
    return "%s-%s" % (repo.replace("/", "--"), tag or "latest")
