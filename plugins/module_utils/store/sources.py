# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a layer's bytes come from: a file of the user (store.http_source has URLs).

PRIVATE to the collection: no stable API. The source is opened first (so that a bad
path fails before anything is written) and then copied once into a local file.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput
from ansible_collections.virter.core.plugins.module_utils.store.ingest import copy_file


class FileSource:
    def __init__(self, path):
        self.path = path

    def open(self):
        if not os.path.isfile(self.path):
            raise InvalidInput("path %s is not a file" % self.path)
        if not os.access(self.path, os.R_OK):
            raise InvalidInput("path %s is not readable" % self.path)

    def close(self):
        pass

    def copy_into(self, out, on_header):
        return copy_file(self.path, out, on_header)
