"""The store's listing: an image described without listing the pool, and a refresh that
describes only the volumes a run changed, on libvirt's in-process test driver."""
import pytest

from ansible_collections.virter.core.plugins.module_utils.store.store import Store
from ansible_collections.virter.core.plugins.module_utils.store.volume_xml import volume_xml

A, B = ("sha256:" + ch * 64 for ch in "ab")
POOL = "default-pool"


@pytest.fixture
def conn(conn):
    """Layer A, B on A, image kid on B, and a volume of no image (the shared fixture removes
    them)."""
    storage = conn.storagePoolLookupByName(POOL)
    for name, backing in (("virter:layer:" + A, None), ("virter:layer:" + B, A),
                          ("virter:tag:kid", B), ("other.qcow2", None)):
        storage.createXML(volume_xml(name, 1024, backing_digest=backing), 0)
    return conn


class _Unlisted:
    """A pool whose listing fails: the code under test must not need it."""

    def __init__(self, pool):
        self._pool = pool

    def __getattr__(self, name):
        if name in ("listAllVolumes", "listVolumes"):
            raise AssertionError("the pool was listed")
        return getattr(self._pool, name)


def test_an_image_is_described_without_listing_the_pool(conn):
    listed = Store(conn, POOL).image("kid")
    store = Store(conn, POOL)
    store.volumes()
    store.pool = _Unlisted(store.pool)
    assert listed["layers"] == [A, B] and listed["top_layer"] == B
    fresh = Store(conn, POOL)
    fresh.pool = _Unlisted(fresh.pool)
    assert fresh.image("kid") == listed == store.image("kid")
    assert fresh.image("nothing") is None


def test_a_refresh_of_named_volumes_keeps_the_rest_of_the_listing(conn):
    store = Store(conn, POOL)
    before = dict(store.volumes())
    conn.storagePoolLookupByName(POOL).storageVolLookupByName("other.qcow2").delete(0)
    store.pool.createXML(volume_xml("virter:work:vm1", 1024, backing_digest=B), 0)
    store.refresh(["other.qcow2", "virter:work:vm1"])
    after = store.volumes()
    assert set(after) == set(before) - {"other.qcow2"} | {"virter:work:vm1"}
    assert after["virter:work:vm1"].parent == "virter:layer:" + B
    assert all(after[name] == before[name] for name in before if name != "other.qcow2")
    conn.storagePoolLookupByName(POOL).storageVolLookupByName("virter:work:vm1").delete(0)
    store.refresh()
    assert set(store.volumes()) == set(before) - {"other.qcow2"}
