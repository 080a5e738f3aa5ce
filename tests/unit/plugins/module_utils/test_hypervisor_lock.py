"""The lock volume that serialises static_dhcp claims on a hypervisor, on libvirt's
in-process test driver (its connections of one process share one hypervisor)."""
import json
import subprocess
import threading
import time

import libvirt
import pytest

from ansible_collections.virter.core.plugins.module_utils.locks import volume_lock as hl
from ansible_collections.virter.core.plugins.module_utils.locks import owner as lock_owner
from ansible_collections.virter.core.plugins.module_utils._errors import Conflict
from ansible_collections.virter.core.plugins.module_utils.image.lock import lock_name
from ansible_collections.virter.core.plugins.module_utils.image.layer_gc import LayerService
from ansible_collections.virter.core.plugins.module_utils.vm.listing import disks_in_use
from ansible_collections.virter.core.plugins.module_utils.store.store import Store
from ansible_collections.virter.core.plugins.module_utils.store.names import kind
from ansible_collections.virter.core.plugins.module_utils.store.volume_xml import volume_xml

POOL = "default-pool"
NAME = hl.static_dhcp_lock("vtest-net")
BREAKER = hl.BREAKER_PREFIX + NAME


def volumes(conn):
    return sorted(vol.name() for vol in conn.storagePoolLookupByName(POOL).listAllVolumes(0))


def lock(conn, **options):
    return hl.VolumeLock(Store(conn, POOL), NAME, **options)


class FakeTime:
    """A clock that only moves when the lock sleeps; `on_sleep` runs at each sleep."""

    def __init__(self, on_sleep=lambda now: None):
        self.now = 1000.0
        self.on_sleep = on_sleep

    def clock(self):
        return self.now

    def sleep(self, _seconds):
        self.now += 1
        self.on_sleep(self.now)


def test_the_lock_is_a_volume_while_held_and_gone_after(conn):
    assert NAME == "virter-core-lock:static-dhcp:vtest-net"
    with hl.held(conn, POOL, NAME) as held:
        assert volumes(conn) == [NAME]
        held.release()  # already gone: released all the same
    assert volumes(conn) == []


def test_the_lock_is_released_when_the_block_fails(conn):
    with pytest.raises(RuntimeError):
        with hl.held(conn, POOL, NAME):
            raise RuntimeError("claim failed")
    assert volumes(conn) == []


def test_a_waiter_through_another_connection_gets_the_lock_when_it_is_released(conn):
    other = libvirt.open("test:///default")
    events = []
    with hl.held(conn, POOL, NAME):
        def waiter():
            with hl.held(other, POOL, NAME, poll=0.01):
                events.append("waiter holds")
        thread = threading.Thread(target=waiter)
        thread.start()
        time.sleep(0.3)
        events.append("holder releases")
    thread.join(10)
    other.close()
    assert events == ["holder releases", "waiter holds"]
    assert volumes(conn) == []


def test_a_stale_lock_is_broken(conn):
    lock(conn).attempt()  # a run killed while holding it
    before = lock(conn)._identity()
    start = time.monotonic()
    with hl.held(conn, POOL, NAME, stale_after=0.2, poll=0.01) as held:
        assert time.monotonic() - start >= 0.2
        assert held._identity() not in (None, before)  # a new lock: this run's
        assert volumes(conn) == [NAME]  # the breaker is gone
    assert volumes(conn) == []


def test_a_lock_that_changes_hands_is_not_stale(conn):
    holders = [lock(conn)]
    holders[0].attempt()

    def another_run_takes_it(_now):
        holders[-1].release()
        holders.append(lock(conn))
        assert holders[-1].attempt()

    fake = FakeTime(another_run_takes_it)
    waiter = lock(conn, timeout=10, stale_after=3, clock=fake.clock, sleep=fake.sleep)
    with pytest.raises(Conflict):
        waiter.acquire()
    assert len(holders) > 10  # never broken: each holder was seen for 1 s only
    assert volumes(conn) == [NAME]


def test_while_another_waiter_breaks_the_lock_it_is_left_alone(conn):
    lock(conn).attempt()
    hl.VolumeLock(Store(conn, POOL), BREAKER).attempt()  # that waiter was killed, too
    seen = []
    fake = FakeTime(lambda now: seen.append((now, volumes(conn))))
    lock(conn, stale_after=5, clock=fake.clock, sleep=fake.sleep).acquire()
    # Stale at 1005, but a breaker is there (stale itself only at 1010): no deletion.
    assert [now for now, names in seen if names == sorted([NAME, BREAKER])] == list(range(1001, 1011))
    assert seen[-2:] == [(1011, [NAME]), (1012, [])]  # the breaker broken, then the lock; taken
    assert volumes(conn) == [NAME]


def test_a_timeout_names_the_volume_and_how_to_remove_it(conn):
    lock(conn).attempt()
    with pytest.raises(Conflict) as failed:
        lock(conn, timeout=0.2, poll=0.01).acquire()
    msg = str(failed.value)
    assert "timed out after 0 s waiting for lock volume %s in storage pool %s" % (NAME, POOL) in msg
    assert "virsh vol-delete --pool %s %s" % (POOL, NAME) in msg
    assert failed.value.details == {"lock_volume": NAME, "pool": POOL}
    assert volumes(conn) == [NAME]  # not taken, not broken


def test_a_creation_failure_with_no_lock_is_raised(conn):
    def no_pool_space(*_args):
        raise libvirt.libvirtError("no space left")

    held = lock(conn, poll=0)
    held.store.pool.createXML = no_pool_space
    with pytest.raises(Exception, match="cannot create volume %s" % NAME):
        held.acquire()


def test_the_store_neither_lists_nor_prunes_a_lock(conn):
    storage = conn.storagePoolLookupByName(POOL)
    storage.createXML(volume_xml("virter:layer:sha256:" + "a" * 64, 1024), 0)
    with hl.held(conn, POOL, NAME):
        assert kind(NAME) == (None, NAME)
        store = Store(conn, POOL)
        assert store.images() == [] and [layer["digest"] for layer in store.layers()] == ["sha256:" + "a" * 64]
        pruned = LayerService(conn, POOL, disks_in_use).pruned(0)
        assert pruned["removed"] == ["sha256:" + "a" * 64] and pruned["removed_images"] == []
        assert volumes(conn) == [NAME]


def ended_holder():
    """The line a lock of a process that has ended holds."""
    child = subprocess.Popen(["sleep", "30"])
    held = json.dumps({"host": lock_owner._host(), "pid": child.pid, "start": lock_owner._start_time(child.pid)})
    child.kill()
    child.wait()
    return held.encode() + b"\n"


def test_a_lock_whose_holder_has_ended_on_this_machine_is_broken_at_once(conn, monkeypatch):
    lock(conn).attempt()  # the test driver takes no uploads: the line is read through _content
    monkeypatch.setattr(hl.VolumeLock, "_content", lambda self: ended_holder())
    fake = FakeTime()
    lock(conn, stale_after=1000, clock=fake.clock, sleep=fake.sleep).acquire()
    assert fake.now == 1001.0  # broken at first sight, taken at the next try
    assert volumes(conn) == [NAME]


def test_a_lock_whose_holder_lives_waits_for_stale_after(conn, monkeypatch):
    lock(conn).attempt()
    monkeypatch.setattr(hl.VolumeLock, "_content", lambda self: lock_owner.record())
    fake = FakeTime()
    lock(conn, stale_after=5, clock=fake.clock, sleep=fake.sleep).acquire()
    assert fake.now == 1006.0  # seen at 1000, broken at 1005, taken at 1006


def test_without_a_timeout_a_waiter_waits_while_the_lock_changes_hands(conn):
    holders = [lock(conn)]
    holders[0].attempt()

    def another_run_takes_it(now):
        holders[-1].release()
        if now < 1600:
            holders.append(lock(conn))
            assert holders[-1].attempt()

    fake = FakeTime(another_run_takes_it)
    lock(conn, timeout=None, stale_after=3, clock=fake.clock, sleep=fake.sleep).acquire()
    assert fake.now == 1600.0 and volumes(conn) == [NAME]


class Resizable:
    """A lock volume of the test driver that resizes (the driver cannot) and records it;
    its file system allocates in blocks of 4 KiB."""

    def __init__(self, vol, sizes):
        self._vol = vol
        self.sizes = sizes
        self.capacity = vol.info()[1]
        self.allocation = -(-self.capacity // 4096) * 4096  # growing it later allocates nothing

    def info(self):
        return [0, self.capacity, self.allocation]

    def resize(self, capacity, _flags):
        assert capacity >= self.info()[2], "libvirt refuses to shrink below the allocation"
        self.capacity = capacity
        self.sizes.append(capacity)

    def __getattr__(self, name):
        return getattr(self._vol, name)


def test_a_holder_that_beats_grows_its_lock_until_it_releases_it(conn):
    held = lock(conn, beat=0.01)
    sizes = []
    create = held.store.create
    held.store.create = lambda *args: Resizable(create(*args), sizes)
    held.acquire()
    time.sleep(0.2)
    held.release()
    count = len(sizes)
    assert count >= 3 and sizes[0] % 4096 == 1 and sizes == list(range(sizes[0], sizes[0] + count))
    time.sleep(0.05)
    assert len(sizes) == count and volumes(conn) == []


def test_a_pool_that_cannot_resize_ends_the_beat_quietly(conn):
    held = lock(conn, beat=0.01)
    held.acquire()
    time.sleep(0.05)
    assert not held._beating[0].is_alive()
    held.release()
    assert volumes(conn) == []


def with_mtime(monkeypatch, mtime):
    """Pool timestamps for the test driver, which reports none."""
    describe = Store.describe

    def described(self, name):
        info = describe(self, name)
        return info and info._replace(mtime=mtime, mtime_ns=int(mtime * 1e9))

    monkeypatch.setattr(Store, "describe", described)


def test_a_prune_removes_a_lock_whose_holder_has_ended_whatever_grace(conn, monkeypatch):
    lock(conn).attempt()
    hl.VolumeLock(Store(conn, POOL), BREAKER).attempt()
    monkeypatch.setattr(hl.VolumeLock, "_content", lambda self: ended_holder())
    check = LayerService(conn, POOL, disks_in_use, check_mode=True).pruned(grace=10 ** 6)
    assert check["removed_locks"] == [BREAKER, NAME] and check["changed"] is True
    assert volumes(conn) == sorted([NAME, BREAKER])
    assert LayerService(conn, POOL, disks_in_use).pruned(grace=10 ** 6) == check
    assert volumes(conn) == []


@pytest.mark.parametrize("name, stale_after", [(NAME, 300), (lock_name("web"), 60)])
def test_a_prune_removes_a_live_holders_lock_only_when_unchanged_for_its_stale_time(
        conn, monkeypatch, name, stale_after):
    hl.VolumeLock(Store(conn, POOL), name).attempt()
    monkeypatch.setattr(hl.VolumeLock, "_content", lambda self: lock_owner.record())
    with_mtime(monkeypatch, 5000.0)
    assert LayerService(conn, POOL, disks_in_use, now=5000.0 + stale_after - 1).pruned(0)["removed_locks"] == []
    assert LayerService(conn, POOL, disks_in_use, now=5000.0 + stale_after + 1).pruned(600)["removed_locks"] == []
    assert volumes(conn) == [name]
    assert LayerService(conn, POOL, disks_in_use, now=5000.0 + stale_after + 1).pruned(0)["removed_locks"] == [name]
    assert volumes(conn) == []


def test_a_lock_without_timestamps_or_a_holder_line_stays(conn):
    lock(conn).attempt()
    assert LayerService(conn, POOL, disks_in_use, now=10 ** 10).pruned(0)["removed_locks"] == []
    assert volumes(conn) == [NAME]


def test_clearing_a_leftover_lock_that_another_run_took_meanwhile_leaves_it(conn, monkeypatch):
    lock(conn).attempt()
    monkeypatch.setattr(hl.VolumeLock, "_content", lambda self: ended_holder())
    left = lock(conn)
    holder = left.leftover()
    assert holder is not None
    lock(conn).release()
    taker = lock(conn)
    assert taker.attempt()
    left.clear(holder)
    assert volumes(conn) == [NAME] and taker._identity() != holder
