"""The lock one run at a time writes an image under, on libvirt's in-process test driver
(its connections of one process share one hypervisor)."""
import threading
import time

import libvirt
import pytest

from ansible_collections.virter.core.plugins.module_utils.locks import owner as lock_owner
from ansible_collections.virter.core.plugins.module_utils.locks.volume_lock import VolumeLock
from ansible_collections.virter.core.plugins.module_utils.image.service import ImageService
from ansible_collections.virter.core.plugins.module_utils.image.lock import held_image, lock_name
from ansible_collections.virter.core.plugins.module_utils.store.store import Store
from ansible_collections.virter.core.plugins.module_utils.store.names import import_work_volume, save_work_volume
from ansible_collections.virter.core.plugins.module_utils.store.volume_xml import volume_xml

POOL = "default-pool"
DIGEST = "sha256:" + "a" * 64


def volumes(conn):
    return sorted(vol.name() for vol in conn.storagePoolLookupByName(POOL).listAllVolumes(0))


def make(conn, name):
    conn.storagePoolLookupByName(POOL).createXML(volume_xml(name, 1024, "raw"), 0)


def test_the_holder_finds_the_pool_afresh_without_what_killed_runs_left_of_the_image(conn):
    killed = [import_work_volume("web", "0123456789ab"), save_work_volume("web", "ba9876543210"),
              "virter:work:import:web"]
    others = [import_work_volume("web-2", "0123456789ab"), "virter:work:web"]
    for name in killed + others:
        make(conn, name)
    store = Store(conn, POOL)
    assert set(killed) <= set(store.volumes())
    with held_image(store, "web"):
        assert lock_name("web") == "virter-core-lock:image:web"
        assert volumes(conn) == sorted(others + [lock_name("web")])
        assert sorted(store.volumes()) == sorted(others + [lock_name("web")])
    assert volumes(conn) == sorted(others)


def test_a_second_run_waits_and_then_sees_what_the_first_made(conn):
    first, second = Store(conn, POOL), Store(libvirt.open("test:///default"), POOL)
    events = []

    def waiter():
        second.volumes()  # listed before the wait
        with held_image(second, "web"):
            events.append(("second holds", "virter:tag:web" in second.volumes()))

    with held_image(first, "web"):
        thread = threading.Thread(target=waiter)
        thread.start()
        time.sleep(0.6)
        make(conn, "virter:tag:web")
        events.append("first releases")
    thread.join(10)
    assert events == ["first releases", ("second holds", True)]
    second.conn.close()


PRESENT = {"name": "web", "url": None, "path": None, "vm": None, "ref": None, "source": None, "checksum": None,
           "save_path": None, "push": False, "push_ref": None, "force": False}


@pytest.fixture
def image(conn):
    """Image web (a tag on one layer) and the lock a run of it left."""
    storage = conn.storagePoolLookupByName(POOL)
    storage.createXML(volume_xml("virter:layer:" + DIGEST, 1024), 0)
    storage.createXML(volume_xml("virter:tag:web", 1024, backing_digest=DIGEST), 0)
    VolumeLock(Store(conn, POOL), lock_name("web")).attempt()
    return conn


@pytest.mark.parametrize("ended", [True, False])
def test_a_run_that_finds_the_image_there_removes_its_lock_only_when_its_holder_has_ended(
        image, monkeypatch, ended):
    monkeypatch.setattr(lock_owner, "ended", lambda data: ended)  # the holder's line, as the lock reads it
    check = ImageService(image, POOL, check_mode=True).present(dict(PRESENT))
    assert lock_name("web") in volumes(image)
    result = ImageService(image, POOL).present(dict(PRESENT))
    assert result == check and result["changed"] is False and result["image"]["top_layer"] == DIGEST
    assert (lock_name("web") in volumes(image)) is not ended


@pytest.mark.parametrize("ended", [True, False])
def test_removing_an_image_removes_its_lock_only_when_its_holder_has_ended(image, monkeypatch, ended):
    monkeypatch.setattr(lock_owner, "ended", lambda data: ended)
    assert ImageService(image, POOL).absent("web")["changed"] is True
    assert ImageService(image, POOL).absent("web")["changed"] is False
    assert volumes(image) == ([] if ended else [lock_name("web")])


def test_a_commit_is_done_by_the_vm_commit_the_service_was_given(image):
    calls = []

    class FakeCommit:
        def __init__(self, conn, importer, vm):
            calls.append(("made", conn is image, importer.store.pool_name, vm))

        def check(self, allow_shutdown):
            calls.append(("check", allow_shutdown))

        def run(self, shutdown_timeout, release_dhcp):
            calls.append(("run", shutdown_timeout, release_dhcp))
            return DIGEST

        def finish(self):
            calls.append("finish")

    params = dict(PRESENT, name="web-2", vm="build", shutdown=True, shutdown_timeout=7, static_dhcp=False)
    result = ImageService(image, POOL, vm_commit=FakeCommit).present(params)
    assert calls == [("made", True, POOL, "build"), ("check", True), ("made", True, POOL, "build"),
                     ("check", True), ("run", 7, True), "finish"]
    assert result["changed"] is True and result["image"]["top_layer"] == DIGEST
    assert "virter:tag:web-2" in volumes(image)
