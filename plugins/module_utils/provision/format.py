# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The keys and types of a provisioning file (virter's `ProvisionConfig`), checked strictly:
an unknown key, a wrong type, a missing field or a step of no or several kinds fails with
the key's path.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from collections import namedtuple

from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput
from ansible_collections.virter.core.plugins.module_utils.provision.paths import show

VERSION = 1
KINDS = ("container", "shell", "rsync")
PULL_POLICIES = ("Always", "IfNotExist", "Never")

Table = namedtuple("Table", "fields required")
MapOf = namedtuple("MapOf", "item")
ListOf = namedtuple("ListOf", "item")

STRINGS = MapOf(str)
COPY = Table({"source": str, "dest": str}, ("source", "dest"))
STEP = Table({
    "container": Table({"image": str, "pull": str, "env": STRINGS, "command": ListOf(str), "copy": COPY}, ("image",)),
    "shell": Table({"script": str, "env": STRINGS}, ("script",)),
    "rsync": Table({"source": str, "dest": str}, ("source", "dest")),
}, ())
FILE = Table({"version": int, "values": STRINGS, "env": STRINGS, "steps": ListOf(STEP)}, ())

_NAMES = {str: "a string", int: "an integer", float: "a float", bool: "a boolean",
          dict: "a table", list: "an array"}


def fail(name, path, problem):
    raise InvalidInput("%s: %s: %s" % (name, show(path), problem) if path else "%s: %s" % (name, problem))


def check(doc, name, complete=True):
    """Checks a decoded file; `name` names it in messages. Before the overrides are applied
    (`complete=False`) only keys and types count: an override may add what is missing."""
    _walk(FILE, doc, (), name, complete)
    if not complete:
        return
    if "version" not in doc:
        fail(name, ("version",), "missing: virter provisioning files start with version = %d" % VERSION)
    if doc["version"] != VERSION:
        fail(name, ("version",), "unsupported provisioning file version %d (want %d)" % (doc["version"], VERSION))
    for index, step in enumerate(doc.get("steps", [])):
        kinds = [kind for kind in KINDS if kind in step]
        if len(kinds) != 1:
            fail(name, ("steps", index), "a step has exactly one of %s, not %s" % (
                ", ".join(KINDS), " and ".join(kinds) or "none"))
        pull = step.get("container", {}).get("pull")
        if pull is not None and pull_policy(pull) is None:
            fail(name, ("steps", index, "container", "pull"), "unknown pull policy %r (one of %s)" % (
                pull, ", ".join(PULL_POLICIES)))


def pull_policy(text):
    """The canonical spelling of a pull policy (virter accepts any case), or None."""
    for policy in PULL_POLICIES:
        if policy.lower() == text.lower():
            return policy
    return None


def _walk(kind, value, path, name, complete):
    if isinstance(kind, Table):
        _expect(value, dict, path, name)
        for key in value:
            if key not in kind.fields:
                fail(name, path + (key,), "unknown key")
            _walk(kind.fields[key], value[key], path + (key,), name, complete)
        for key in kind.required if complete else ():
            if key not in value:
                fail(name, path + (key,), "missing")
    elif isinstance(kind, MapOf):
        _expect(value, dict, path, name)
        for key in value:
            _walk(kind.item, value[key], path + (key,), name, complete)
    elif isinstance(kind, ListOf):
        _expect(value, list, path, name)
        for index, item in enumerate(value):
            _walk(kind.item, item, path + (index,), name, complete)
    else:
        _expect(value, kind, path, name)


def _expect(value, wanted, path, name):
    if not isinstance(value, wanted) or isinstance(value, bool):  # no field is a boolean; True is an int
        actual = _NAMES.get(type(value), "a " + type(value).__name__)
        fail(name, path, "must be %s, not %s" % (_NAMES[wanted], actual))
