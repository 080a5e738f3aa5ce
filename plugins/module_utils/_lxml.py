# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lxml import guard shared by every XML builder and reader of the core.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import traceback

__all__ = ["etree", "IMPORT_ERROR"]  # the guard's whole purpose: names for others

try:
    from lxml import etree
except ImportError:
    etree = None  # reported by _ansible_module.require_libraries()
    IMPORT_ERROR = traceback.format_exc()
else:
    IMPORT_ERROR = None
