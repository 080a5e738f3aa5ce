# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""TOML text decoded with the standard library (3.11+) or tomli.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

try:
    import tomllib as _reader  # Python 3.11+
except ImportError:
    try:
        import tomli as _reader
    except ImportError:
        _reader = None

# Why a TOML file cannot be read here, for messages; None when it can.
MISSING = None if _reader is not None else "needs Python 3.11 or the tomli package"


def loads(text):
    """The document of TOML `text`; ValueError if it is not TOML."""
    return _reader.loads(text)
