# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Duration strings such as `1h`, `90m`, `1h30m`, `7d` (pure).

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART_RE = re.compile(r"(\d+)([smhdw])")
_WHOLE_RE = re.compile(r"^(?:\d+[smhdw])+$")


def parse_duration(value, what="duration"):
    """'1h30m' -> 5400 seconds. Units s, m, h, d, w; a bare number means seconds."""
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if text.isdigit():
        return int(text)
    if not _WHOLE_RE.match(text):
        raise InvalidInput(
            "invalid %s %r: use numbers with units s, m, h, d or w, e.g. 1h or 1h30m" % (what, value))
    return sum(int(num) * _UNITS[unit] for num, unit in _PART_RE.findall(text))
