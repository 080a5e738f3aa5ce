# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Threads sharing one libvirt connection, for work that libvirt does concurrently
(creating, starting and removing VMs).

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import threading

from ansible_collections.virter.core.plugins.module_utils._errors import LibvirtError
from ansible_collections.virter.core.plugins.module_utils._libvirt import libvirt


class Workers:
    """Threads sharing the connection; join() returns their results in start order and
    raises the first error once all are done. `action` names what a libvirt error that
    no call() wrapped was doing."""

    def __init__(self, action):
        self._action = action
        self._threads = []
        self._results = []
        self._errors = []

    def start(self, func, item):
        index = len(self._results)
        self._results.append(None)

        def work():
            try:
                self._results[index] = func(item)
            except libvirt.libvirtError as exc:
                self._errors.append(LibvirtError(self._action, exc))
            except Exception as exc:  # pylint: disable=broad-except  # raised again by join()
                self._errors.append(exc)

        thread = threading.Thread(target=work)
        self._threads.append(thread)
        thread.start()

    def join(self):
        for thread in self._threads:
            thread.join()
        if self._errors:
            raise self._errors[0]
        return self._results


def parallel(func, items, action):
    """func(item) for every item, each in a thread of its own; their results in order."""
    workers = Workers(action)
    for item in items:
        workers.start(func, item)
    return workers.join()
