# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Record the before and after value of each managed attribute, for `diff` output.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class DifferenceTracker:
    # The value of an attribute on a side where the object does not exist: left out of the diff.
    MISSING = object()

    def __init__(self):
        self._items = []

    def add(self, name, before, after):
        self._items.append((name, before, after))

    def add_dicts(self, before, after):
        """Track every key of two dicts; a key only one of them has is MISSING in the other."""
        for name in sorted(set(before) | set(after)):
            self.add(name, before.get(name, self.MISSING), after.get(name, self.MISSING))

    @property
    def differences(self):
        """Names of the attributes whose value changes, in the order they were added."""
        return [name for name, before, after in self._items if before != after]

    @property
    def changed(self):
        return bool(self.differences)

    def get_before_after(self):
        """The `diff` return value: {before: {...}, after: {...}}."""
        return {
            "before": dict((name, before) for name, before, _after in self._items if before is not self.MISSING),
            "after": dict((name, after) for name, _before, after in self._items if after is not self.MISSING),
        }
