# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`--set` overrides ({"values.Image": "x", "steps[0].shell.script": "env"}) laid onto a
decoded provisioning file the way virter does (Helm strvals paths, then mapstructure):
tables merge key by key, arrays item by item, strings are replaced. Unlike virter, a path
that names no field of the format fails instead of being dropped silently.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy

from ansible_collections.virter.core.plugins.module_utils.provision import paths
from ansible_collections.virter.core.plugins.module_utils.provision.format import FILE, ListOf, MapOf, Table, fail


def apply(doc, overrides, label):
    """A copy of `doc` with `overrides` ({path: string}) set; `label` names the overrides
    in messages."""
    doc = copy.deepcopy(doc)
    parsed = []
    for text, value in (overrides or {}).items():
        try:
            path = paths.parse(text)
        except ValueError as exc:
            fail(label, (), "%r is not a key path: %s" % (text, exc))
        _check_path(path, label)
        if not isinstance(value, str):
            fail(label, path, "the value must be a string, not %r (quote it)" % (value,))
        parsed.append((path, value))
    # In path order, so that new array items come in index order whatever the dict's order.
    for path, value in sorted(parsed):
        _set(doc, path, value, label)
    return doc


def _check_path(path, label):
    """The path ends at a string field of the format."""
    kind = FILE
    for depth, part in enumerate(path):
        where = path[:depth]
        if isinstance(kind, ListOf):
            if not isinstance(part, int):
                fail(label, where, "is an array: name an item with [N]")
        elif isinstance(part, int):
            fail(label, where, "is not an array: [%d] names nothing" % part)
        elif isinstance(kind, Table) and part not in kind.fields:
            fail(label, path[:depth + 1], "unknown key")
        elif not isinstance(kind, (Table, MapOf)):
            fail(label, where, "is a single value: it has no key %s" % part)
        kind = kind.item if isinstance(kind, (ListOf, MapOf)) else kind.fields[part]
    if kind is int:
        fail(label, path, "cannot be set: an override is a string; the file says version = 1")
    if isinstance(kind, (Table, MapOf)):
        fail(label, path, "is a table: set its keys (%s.NAME)" % paths.show(path))
    if isinstance(kind, ListOf):
        fail(label, path, "is an array: set its items (%s[N])" % paths.show(path))


def _set(doc, path, value, label):
    here = doc
    for depth, part in enumerate(path):
        last = depth + 1 == len(path)
        new = value if last else ([] if isinstance(path[depth + 1], int) else {})
        if isinstance(part, int):
            if part > len(here):
                fail(label, path[:depth + 1], "past the end: %s has %d items, the next one is [%d]" % (
                    paths.show(path[:depth]), len(here), len(here)))
            if part == len(here):
                here.append(new)
            elif last:
                here[part] = new
        elif last or part not in here:
            here[part] = new
        here = here[part]
