# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One run at a time writes an image: imports, pulls, commits and saves of an image name
run under a lock volume in the image's pool (volume_lock), whatever machine each
run is on.

PRIVATE to the collection: no stable API.

A run that waited reads the pool again and finds the image as the run before it left
it, so it does only what is still missing. Work volumes of the image it finds then are
what killed runs left: they go.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import contextlib

from ansible_collections.virter.core.plugins.module_utils.locks import volume_lock
from ansible_collections.virter.core.plugins.module_utils.locks.volume_lock import (
    BREAKER_PREFIX,
    LOCK_PREFIX,
    VolumeLock,
    held,
)
from ansible_collections.virter.core.plugins.module_utils.store.names import is_work_of

# A download may take far longer than a minute: holders show they are alive by beating,
# so a waiter waits for as long as that takes, and takes a lock unchanged for a minute
# (a holder on another machine that was killed) for stale.
STALE_AFTER = 60.0
_OPTIONS = {"beat": 10.0, "stale_after": STALE_AFTER, "timeout": None}


def lock_name(image):
    """The lock volume of image `image` (image names hold no '/': a legal file name in
    a dir pool)."""
    return LOCK_PREFIX + "image:" + image


def stale_after(lock):
    """How long lock volume `lock` (or a breaker of one) stays unchanged before it is
    taken for one a killed run left."""
    image = lock_name("")
    if lock.startswith((image, BREAKER_PREFIX + image)):
        return STALE_AFTER
    return volume_lock.STALE_AFTER


def clear_ended(store, image):
    """Remove the lock of image `image` when its holder, a run of this machine, has
    ended: a run that finds nothing to do takes no lock, so it would not break it."""
    lock = VolumeLock(store, lock_name(image), **_OPTIONS)
    holder = lock.leftover()
    if holder is not None:
        lock.clear(holder)


@contextlib.contextmanager
def held_image(store, image):
    """Hold the lock of image `image` in `store`'s pool; the store lists the pool
    afresh, without the work volumes killed runs left of the image."""
    with held(store.conn, store.pool_name, lock_name(image), **_OPTIONS):
        store.reread()
        for name in sorted(store.volumes()):
            if is_work_of(name, image):
                store.delete_leftover(name)
        yield
