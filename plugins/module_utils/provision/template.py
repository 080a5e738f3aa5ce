# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The part of Go's text/template that provisioning files use: `{{.Name}}` (spaces and the
`{{-`/`-}}` trim markers allowed) is the `[values]` entry Name, a missing entry is an error
(virter's missingkey=error). Any other action fails rather than being guessed at.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.virter.core.plugins.module_utils.provision.format import fail

# Go's trim markers are "{{- " and " -}}": the space is part of the marker.
_ACTION = re.compile(r"\{\{(-[ \t\r\n])?(.*?)([ \t\r\n]-)?\}\}", re.DOTALL)
_FIELD = re.compile(r"\s*\.([^\W\d]\w*)\s*\Z")
_SPACE = " \t\r\n"


def expand(text, values, name, path):
    """`text` with its `{{.Name}}` references replaced from `values`; `name` and `path`
    (the file and the key) go into messages."""
    pieces, start, trim_next = [], 0, False
    for match in _ACTION.finditer(text):
        literal = _literal(text[start:match.start()], name, path)
        if trim_next:
            literal = literal.lstrip(_SPACE)
        if match.group(1):
            literal = literal.rstrip(_SPACE)
        pieces.append(literal)
        pieces.append(_lookup(match.group(0), match.group(2), values, name, path))
        start, trim_next = match.end(), bool(match.group(3))
    rest = _literal(text[start:], name, path)
    pieces.append(rest.lstrip(_SPACE) if trim_next else rest)
    return "".join(pieces)


def _literal(text, name, path):
    if "{{" in text:
        fail(name, path, "template action %r has no closing }}" % text[text.index("{{"):][:40])
    return text


def _lookup(action, inside, values, name, path):
    field = _FIELD.match(inside)
    if not field:
        fail(name, path, "template action %s is not supported: only {{.Name}} references to [values] are" % action)
    if field.group(1) not in values:
        fail(name, path, "template refers to %s, but [values] has no %s" % (action, field.group(1)))
    return values[field.group(1)]
