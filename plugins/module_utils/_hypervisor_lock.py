# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A lock held in the hypervisor's libvirt: a storage volume that exists while a run
holds it. libvirt refuses to create a volume whose name is taken, so creating it is an
atomic test-and-set on the hypervisor, whatever machine the module runs on and through
whatever connection.

PRIVATE to the collection: no stable API.

A lock left by a killed run is broken by its waiters: when the same lock (its path,
capacity and timestamps as libvirt reports them; the capacity is a random number of
bytes, so two locks differ even where a pool reports no timestamps) has blocked a waiter
for STALE_AFTER seconds of the waiter's own clock. No clock of the hypervisor is
compared with this machine's. Holders keep the lock for seconds, far less than that.
Waiters break a lock under a second lock volume (BREAKER_PREFIX + name), so that two
of them cannot both break it and one delete the lock the other has just taken.

Lock volumes are named `virter-core-lock:<purpose>`: not `virter:...`, so the store
(images, layers, pruning) never counts, lists or removes them.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import contextlib
import random
import time

from ansible_collections.virter.core.plugins.module_utils._errors import Conflict, LibvirtError
from ansible_collections.virter.core.plugins.module_utils._store import Store

LOCK_PREFIX = "virter-core-lock:"
BREAKER_PREFIX = "virter-core-unlock:"
# A lock seen unchanged for this long is from a killed run (a holder needs seconds).
STALE_AFTER = 300.0
# How long a run waits for the lock in all: longer than STALE_AFTER, so that a stale
# lock is broken before the waiter gives up.
TIMEOUT = STALE_AFTER + 120.0
POLL = 0.25  # seconds between attempts, plus up to as much again at random
# Creation failing this many times in a row with no lock volume to show for it is an
# error of its own (no space, no permission), not contention.
_UNEXPLAINED_FAILURES = 3


def static_dhcp_lock(network):
    """The name of the lock serialising static_dhcp claims on libvirt network `network`
    (network names never contain '/', so it is a legal file name in a dir pool)."""
    return LOCK_PREFIX + "static-dhcp:" + network


@contextlib.contextmanager
def held(conn, pool, name, **options):
    """Hold lock volume `name` in storage pool `pool` for the body of the block."""
    lock = VolumeLock(Store(conn, pool), name, **options)
    lock.acquire()
    try:
        yield lock
    finally:
        lock.release()


class VolumeLock:
    def __init__(self, store, name, timeout=TIMEOUT, stale_after=STALE_AFTER, poll=POLL,
                 clock=time.monotonic, sleep=time.sleep):
        self.store = store
        self.name = name
        self.timeout = timeout
        self.stale_after = stale_after
        self.poll = poll
        self._clock = clock
        self._sleep = sleep
        self._seen = None  # (identity of the holder, when this waiter first saw it)
        self._failures = 0

    def acquire(self):
        """Take the lock, waiting for another holder, breaking a stale lock; raise
        Conflict when it is still held after `timeout` seconds."""
        breaker = VolumeLock(self.store, BREAKER_PREFIX + self.name, stale_after=self.stale_after,
                             clock=self._clock)
        deadline = self._clock() + self.timeout
        while not self.attempt(breaker):
            if self._clock() >= deadline:
                raise Conflict(
                    "timed out after %d s waiting for lock volume %s in storage pool %s, held by another "
                    "run on this hypervisor. If no run is active, it was left by a killed run: remove it "
                    "with `virsh vol-delete --pool %s %s`" % (
                        self.timeout, self.name, self.store.pool_name, self.store.pool_name, self.name),
                    lock_volume=self.name, pool=self.store.pool_name)
            self._sleep(self.poll * (1 + random.random()))

    def attempt(self, breaker=None):
        """One try: True when this run now holds the lock. A holder seen unchanged for
        `stale_after` seconds is broken, under `breaker` when given."""
        try:
            # A fresh random capacity per lock: part of its identity.
            self.store.create(self.name, random.randint(1, 1 << 16), "raw")
            self._seen = None
            self._failures = 0
            return True
        except LibvirtError:
            holder = self._identity()
            if holder is None:  # released meanwhile, or creation failed for another reason
                self._failures += 1
                if self._failures >= _UNEXPLAINED_FAILURES:
                    raise
                return False
        self._failures = 0
        now = self._clock()
        if self._seen is None or self._seen[0] != holder:
            self._seen = (holder, now)
        elif now - self._seen[1] >= self.stale_after:
            self._break(holder, breaker)
        return False

    def release(self):
        """Give the lock up; a lock that is already gone is released."""
        self.store.delete([self.name])

    def _identity(self):
        info = self.store.describe(self.name)
        return None if info is None else (info.path, info.capacity, info.mtime_ns, info.ctime)

    def _break(self, holder, breaker):
        if breaker is None:
            self.store.delete([self.name])
        elif breaker.attempt():
            try:
                if self._identity() == holder:
                    self.store.delete([self.name])
            finally:
                breaker.release()
        else:
            return  # another waiter is breaking it (or its breaker is stale: broken next)
        self._seen = None
