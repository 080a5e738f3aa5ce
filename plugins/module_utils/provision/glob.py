# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Go's filepath.Glob and filepath.Match, which virter's rsync step uses: `*` and `?` stop
at `/` but match dot files, `[^...]` negates, a backslash escapes, there is no `**`, and a
bad pattern is an error even when nothing would match.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import posixpath
import re

META = "*?[\\"


def has_meta(pattern):
    return any(char in pattern for char in META)


def compile_pattern(pattern):
    """The regular expression of a Go Match pattern; ValueError if it is malformed."""
    out, pos = [], 0
    while pos < len(pattern):
        char = pattern[pos]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            pos = _char_class(pattern, pos + 1, out)
            continue
        else:
            if char == "\\":
                pos += 1
                if pos == len(pattern):
                    raise ValueError("pattern ends with a backslash")
            out.append(re.escape(pattern[pos]))
        pos += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def _char_class(pattern, pos, out):
    """Reads a class after its `[`; returns the position after its `]`."""
    negate = pattern[pos:pos + 1] == "^"
    pos += negate
    ranges = []
    while pattern[pos:pos + 1] != "]" or not ranges:
        low, pos = _class_char(pattern, pos)
        high = low
        if pattern[pos:pos + 1] == "-":
            high, pos = _class_char(pattern, pos + 1)
        ranges.append((low, high))
    # A reversed range matches nothing in Go; Python's re refuses it.
    valid = "".join("%s-%s" % (re.escape(low), re.escape(high)) for low, high in ranges if low <= high)
    if valid:
        out.append("[%s%s]" % ("^" if negate else "", valid))
    else:
        out.append("." if negate else "(?!)")
    return pos + 1


def _class_char(pattern, pos):
    char = pattern[pos:pos + 1]
    if char in ("", "-", "]"):
        raise ValueError("malformed character class")
    if char == "\\":
        pos += 1
        char = pattern[pos:pos + 1]
        if not char:
            raise ValueError("malformed character class")
    return char, pos + 1


def glob(pattern, root):
    """The paths that match `pattern` as filepath.Glob names them, with a relative
    pattern taken relative to `root` (virter's working directory)."""
    compile_pattern(pattern)
    if not has_meta(pattern):
        return [pattern] if os.path.lexists(os.path.join(root, pattern)) else []
    head, tail = posixpath.split(pattern)
    head = head or "."
    if not has_meta(head):
        return _glob_dir(head, tail, root)
    matches = []
    for directory in glob(head, root):
        matches.extend(_glob_dir(directory, tail, root))
    return matches


def _glob_dir(directory, pattern, root):
    regex = compile_pattern(pattern)
    try:
        names = sorted(os.listdir(os.path.join(root, directory)))
    except OSError:
        return []
    return [posixpath.normpath(posixpath.join(directory, name)) for name in names if regex.match(name)]
