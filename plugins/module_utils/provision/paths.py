# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Key paths inside a provisioning file: a tuple of table keys (str) and list indexes (int),
written `steps[1].shell.env.FOO` in messages and in `--set` overrides.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


def show(path):
    """`("steps", 1, "shell")` -> `steps[1].shell`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += "[%d]" % part
        else:
            text += ("." if text else "") + part
    return text


def parse(text):
    """A `--set` path as Helm's strvals reads it: keys split at `.`, `[N]` indexes, a
    backslash takes the next character literally. Raises ValueError."""
    path, key, pos = [], None, 0
    while pos < len(text):
        char = text[pos]
        if char == "\\" and pos + 1 < len(text):
            key = (key or "") + text[pos + 1]
            pos += 2
            continue
        if char in ".[":
            if key is None and not (path and isinstance(path[-1], int)):
                raise ValueError("empty key before %r" % char)
            if key is not None:
                path.append(key)
                key = None
            if char == "[":
                pos = _index(text, pos, path)
                continue
            if pos + 1 == len(text):
                raise ValueError("ends with '.'")
        else:
            key = (key or "") + char
        pos += 1
    if key is not None:
        path.append(key)
    if not path:
        raise ValueError("empty path")
    return tuple(path)


def _index(text, pos, path):
    """Reads `[N]` at `pos` into `path`; returns the position after it."""
    end = text.find("]", pos)
    digits = text[pos + 1:end] if end > 0 else ""
    if not digits.isdigit() or not digits.isascii():
        raise ValueError("a list index is [N] with a number N")
    path.append(int(digits))
    if end + 1 < len(text) and text[end + 1] not in ".[":
        raise ValueError("'.' or '[' must follow ']'")
    return end + 1
