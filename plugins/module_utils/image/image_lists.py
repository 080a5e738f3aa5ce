# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Short image names (`debian-12`) looked up in virter's image lists.

PRIVATE to the collection: no stable API.

Two files in virter's v1 format (`version = 1`, `[images.<name>] url = "..."`): the
shipped list `$XDG_DATA_HOME/virter/images.toml` and the user's own
`$XDG_CONFIG_HOME/virter/images.toml`, whose entries win. Nothing is fetched: virter
fetches the shipped list itself (`virter registry update`).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

from ansible_collections.virter.core.plugins.module_utils import _toml
from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput, NotFound


def list_files(environ=None):
    """The image list files, lowest priority first."""
    env = os.environ if environ is None else environ
    home = os.path.expanduser("~")
    data = env.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
    config = env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    return [os.path.join(data, "virter", "images.toml"), os.path.join(config, "virter", "images.toml")]


def lookup(name, environ=None):
    """The URL of image `name` from the image lists."""
    files = [path for path in list_files(environ) if os.path.isfile(path)]
    urls = {}
    for path in files:
        urls.update(_read(path))
    if name not in urls:
        raise NotFound("image %s is not in any image list (looked in %s)" % (
            name, ", ".join(list_files(environ))))
    return urls[name]


def _read(path):
    if _toml.MISSING:
        raise InvalidInput("reading %s %s on the managed host; or give a full http(s) URL" % (path, _toml.MISSING))
    try:
        with open(path, "rb") as handle:
            data = _toml.loads(handle.read().decode("utf-8"))
    except (IOError, OSError, ValueError) as exc:
        raise InvalidInput("cannot read image list %s: %s" % (path, exc))
    if data.get("version") != 1:
        raise InvalidInput("image list %s: unsupported version %r (expected version = 1)" % (
            path, data.get("version")))
    urls = {}
    for entry, fields in (data.get("images") or {}).items():
        if isinstance(fields, dict) and isinstance(fields.get("url"), str):
            urls[entry] = fields["url"]
    return urls
