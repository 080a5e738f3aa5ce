# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Content digests as virter and OCI spell them, `sha256:<64 lowercase hex>` (pure).

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import hashlib
import re

_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")


def is_digest(value):
    return isinstance(value, str) and bool(_DIGEST_RE.match(value))


def digest_of(sha):
    """The digest a running hashlib.sha256() has reached."""
    return "sha256:" + sha.hexdigest()


def sha256_digest(data):
    return digest_of(hashlib.sha256(data))
