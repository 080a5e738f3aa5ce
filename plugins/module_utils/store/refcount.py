# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Who is backed by whom in a pool, and what a ref-counted deletion removes (pure).

PRIVATE to the collection: no stable API.

The graph is built once per operation from one listing of the pool; every decision
below is computed on it in memory, so a deletion costs O(volumes) libvirt calls, not
the O(volumes^2) of checking "is anything backed by me" per volume.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class BackingGraph:
    """`parents`: {volume name: the layer volume it is backed by, or None}."""

    def __init__(self, parents):
        self.parents = dict(parents)
        self.children = {}
        for name, parent in self.parents.items():
            if parent is not None:
                self.children.setdefault(parent, set()).add(name)

    def users(self, name, gone=()):
        """Volumes backed by `name`, except those in `gone`."""
        return self.children.get(name, set()) - set(gone)

    def chain(self, name):
        """The layer volumes below `name`, top first. Stops at a missing layer."""
        found = []
        parent = self.parents.get(name)
        while parent is not None and parent in self.parents and parent not in found:
            found.append(parent)
            parent = self.parents.get(parent)
        return found

    def dependents(self, name):
        """Every volume whose chain contains `name`, the ones furthest up first."""
        order = []

        def visit(node):
            for child in sorted(self.children.get(node, ())):
                if child not in order:
                    visit(child)
                    order.append(child)
        visit(name)
        return order

    def removal(self, starts, keep=lambda name: False, gone=()):
        """Ref-counted deletion: for each start, delete it if nothing uses it and go on
        with the layer below it, as long as that layer is then unused too.

        `keep(name)` vetoes deleting a volume (and so stops that chain); `gone` are
        volumes already being removed. Returns the names to delete, in order."""
        removed = list(gone)
        for start in starts:
            name = start
            while (name is not None and name in self.parents and name not in removed
                   and not self.users(name, removed) and not keep(name)):
                removed.append(name)
                name = self.parents[name]
        return removed[len(gone):]
