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
compared with this machine's. Holders keep the lock for seconds, far less than that, or
show that they are alive by growing it now and then (`beat`). The lock holds
a line naming its holder (lock_owner): a waiter on the holder's own machine breaks the
lock of a holder that has ended at once. Waiters break a lock under a second lock volume
(BREAKER_PREFIX + name), so that two of them cannot both break it and one delete the
lock the other has just taken.

Lock volumes are named `virter-core-lock:<purpose>`: not `virter:...`, so the store
(images, layers) never counts or lists them. A prune removes those that runs left
(`leftover`, `clear`), never one a live holder beats or took recently.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import contextlib
import io
import random
import threading
import time

from ansible_collections.virter.core.plugins.module_utils.locks import owner as lock_owner
from ansible_collections.virter.core.plugins.module_utils._errors import Conflict, LibvirtError
from ansible_collections.virter.core.plugins.module_utils._libvirt import libvirt
from ansible_collections.virter.core.plugins.module_utils.store.pool_io import download, upload_bytes
from ansible_collections.virter.core.plugins.module_utils.store.store import Store

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


def is_lock(name):
    """True for the name of a lock volume or of a breaker of one."""
    return name.startswith((LOCK_PREFIX, BREAKER_PREFIX))


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
    def __init__(self, store, name, timeout=TIMEOUT, stale_after=STALE_AFTER, poll=POLL, beat=None,
                 clock=time.monotonic, sleep=time.sleep):
        """`timeout` None: wait as long as the holder lives. `beat`: grow the lock every
        so many seconds while holding it, for holders that may hold it longer than
        `stale_after`."""
        self.store = store
        self.name = name
        self.timeout = timeout
        self.stale_after = stale_after
        self.poll = poll
        self.beat = beat
        self._clock = clock
        self._sleep = sleep
        self._seen = None  # (identity of the holder, when this waiter first saw it)
        self._failures = 0
        self._judged = None  # the holder last found not to have ended
        self._vol = None  # the lock volume while this run holds it
        self._beating = None  # (thread, stop event)

    def acquire(self):
        """Take the lock, waiting for another holder, breaking a stale lock; raise
        Conflict when it is still held after `timeout` seconds."""
        breaker = VolumeLock(self.store, BREAKER_PREFIX + self.name, stale_after=self.stale_after,
                             clock=self._clock)
        deadline = None if self.timeout is None else self._clock() + self.timeout
        while not self.attempt(breaker):
            if deadline is not None and self._clock() >= deadline:
                raise Conflict(
                    "timed out after %d s waiting for lock volume %s in storage pool %s, held by another "
                    "run on this hypervisor. If no run is active, it was left by a killed run: remove it "
                    "with `virsh vol-delete --pool %s %s`" % (
                        self.timeout, self.name, self.store.pool_name, self.store.pool_name, self.name),
                    lock_volume=self.name, pool=self.store.pool_name)
            self._sleep(self.poll * (1 + random.random()))
        if self.beat is not None:
            stop = threading.Event()
            thread = threading.Thread(target=self._beat, args=(stop,))
            thread.daemon = True
            thread.start()
            self._beating = (thread, stop)

    def attempt(self, breaker=None):
        """One try: True when this run now holds the lock. A holder seen unchanged for
        `stale_after` seconds, or one of this machine that has ended, is broken, under
        `breaker` when given."""
        owner = lock_owner.record()
        try:
            # A fresh random capacity per lock: part of its identity.
            self._vol = self.store.create(self.name, len(owner) + random.randint(1, 1 << 16), "raw")
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
            if self._judged != holder:
                if lock_owner.ended(self._content()):
                    self._break(holder, breaker)
                else:
                    self._judged = holder
            return False
        self._seen = None
        self._failures = 0
        try:
            upload_bytes(self.store.conn, self._vol, owner)
        except LibvirtError:
            pass  # a pool that takes no uploads: waiters go by stale_after alone
        return True

    def release(self):
        """Give the lock up; a lock that is already gone is released."""
        if self._beating is not None:
            thread, stop = self._beating
            stop.set()
            thread.join()
            self._beating = None
        self._vol = None
        self.store.delete([self.name])

    def leftover(self, now=None):
        """The lock's identity when a run left it, else None: its holder, of this
        machine, has ended; or, given `now` (seconds since the epoch), the pool's
        timestamps show it unchanged for longer than `stale_after`."""
        info = self.store.describe(self.name)
        if info is None:
            return None
        changed = max(info.mtime or 0, info.ctime or 0)  # 0: a pool without timestamps
        if (now is not None and changed and changed + self.stale_after < now) or lock_owner.ended(self._content()):
            return _identity_of(info)
        return None

    def clear(self, holder):
        """Remove the lock if it is still `holder` (from `leftover`), under its breaker,
        so that a lock another run took meanwhile stays."""
        breaker = None if self.name.startswith(BREAKER_PREFIX) else VolumeLock(
            self.store, BREAKER_PREFIX + self.name, stale_after=self.stale_after, clock=self._clock)
        self._break(holder, breaker)

    def _beat(self, stop):
        """Grow the lock every `beat` seconds: a new identity for waiters."""
        while not stop.wait(self.beat):
            try:
                _type, capacity, allocation = self._vol.info()
                # libvirt refuses a capacity below the allocation (whole blocks).
                self._vol.resize(max(capacity, allocation) + 1, 0)
            except libvirt.libvirtError:
                return  # a pool that cannot resize: waiters go by stale_after alone

    def _content(self):
        """What the lock volume holds now (its holder's line), b"" when it cannot be read."""
        vol = self.store.lookup(self.name)
        out = io.BytesIO()
        if vol is not None:
            try:
                download(self.store.conn, vol, out)
            except LibvirtError:
                pass
        return out.getvalue()

    def _identity(self):
        info = self.store.describe(self.name)
        return None if info is None else _identity_of(info)

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


def _identity_of(info):
    return (info.path, info.capacity, info.mtime_ns, info.ctime)
