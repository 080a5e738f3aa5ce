# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""virter 1.0's confinement of host paths to the working directory: an rsync step's source
glob (its fixed prefix when the file is read, every match when the step runs) and a
container step's copy destination must resolve, symlinks followed, inside it.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

from ansible_collections.virter.core.plugins.module_utils.provision import glob
from ansible_collections.virter.core.plugins.module_utils.provision.format import fail


def glob_prefix(pattern):
    """The leading path components of `pattern` that hold no `*`, `?` or `[`."""
    parts = pattern.split("/")
    fixed = []
    for part in parts:
        if any(char in part for char in "*?["):
            break
        fixed.append(part)
    # virter turns the prefix of "/*" into "." and lets it pass; it is "/".
    return "/".join(fixed) or ("/" if pattern.startswith("/") else ".")


def check_source(pattern, base_dir, name, path):
    """Fails unless `pattern` is a valid glob whose fixed prefix lies inside `base_dir`."""
    try:
        glob.compile_pattern(pattern)
    except ValueError as exc:
        fail(name, path, "%r is not a valid glob pattern (%s)" % (pattern, exc))
    confined(glob_prefix(pattern), base_dir, name, path)


def rsync_sources(step, base_dir):
    """The host paths an rsync step copies, symlinks resolved, in glob order; a trailing
    `/` (copy the contents, not the directory) is kept. None matching is no error."""
    where = ("steps", step["index"], "rsync", "source")
    check_source(step["source"], base_dir, step["file"], where)
    sources = []
    for match in glob.glob(step["source"], base_dir):
        resolved = confined(match, base_dir, step["file"], where)
        if not os.path.exists(resolved):
            fail(step["file"], where, "%s is a dangling symlink" % match)
        sources.append(resolved + os.sep if match.endswith(os.sep) else resolved)
    return sources


def copy_dest(step, base_dir):
    """The existing host directory a container step's `copy` writes to."""
    where = ("steps", step["index"], "container", "copy", "dest")
    resolved = confined(step["copy"]["dest"], base_dir, step["file"], where)
    if not os.path.isdir(resolved):
        fail(step["file"], where, "%s is not a directory (it must exist before the step runs)" % step["copy"]["dest"])
    return resolved


def confined(path, base_dir, name, where):
    """`path` resolved; fails unless it lies inside `base_dir` (as far as it exists yet)."""
    base = os.path.realpath(base_dir)
    resolved = os.path.realpath(os.path.join(base_dir, path))
    if resolved != base and not resolved.startswith(base.rstrip(os.sep) + os.sep):
        fail(name, where, "%s resolves to %s, which is outside the working directory %s" % (path, resolved, base))
    return resolved
