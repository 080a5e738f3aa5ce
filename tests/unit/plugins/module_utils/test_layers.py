"""virter_layer's service: its diff, and check mode against the real run, on libvirt's
in-process test driver."""
import pytest

from ansible_collections.virter.core.plugins.module_utils.image.lock import lock_name
from ansible_collections.virter.core.plugins.module_utils.image.layer_gc import LayerService, removal_diff
from ansible_collections.virter.core.plugins.module_utils.vm.listing import disks_in_use
from ansible_collections.virter.core.plugins.module_utils.store.names import import_work_volume
from ansible_collections.virter.core.plugins.module_utils.store.volume_xml import volume_xml

A, B, C = ("sha256:" + ch * 64 for ch in "abc")
POOL = "default-pool"


def test_removal_diff_lists_layers_and_images_before_and_after():
    volumes = ["virter:layer:" + A, "virter:layer:" + B, "virter:tag:base", "virter:work:vm1", "other.qcow2"]
    diff = removal_diff(volumes, ["virter:tag:base", "virter:layer:" + B])
    assert diff == {"before": {"layers": [A, B], "images": ["base"]}, "after": {"layers": [A], "images": []}}
    assert removal_diff(volumes, [])["before"] == removal_diff(volumes, [])["after"]


@pytest.fixture
def pool(conn):
    """Layer A, B on A (image kid), C on A (no image): a fresh set for every test (the shared
    fixture removes them)."""
    storage = conn.storagePoolLookupByName(POOL)
    for name, backing in (("virter:layer:" + A, None), ("virter:layer:" + B, A), ("virter:layer:" + C, A),
                          ("virter:tag:kid", B)):
        storage.createXML(volume_xml(name, 1024, backing_digest=backing), 0)
    return conn


def volumes(conn):
    return sorted(vol.name() for vol in conn.storagePoolLookupByName(POOL).listAllVolumes(0))


@pytest.mark.parametrize("run, removed", [
    (lambda service: service.absent(B, force=True), ["virter:tag:kid", "virter:layer:" + B]),
    (lambda service: service.absent("sha256:" + "d" * 64), []),
    (lambda service: service.pruned(0), ["virter:layer:" + C]),
])
def test_check_mode_returns_what_the_real_run_does(pool, run, removed):
    before = volumes(pool)
    check = run(LayerService(pool, POOL, disks_in_use, check_mode=True))
    assert volumes(pool) == before
    real = run(LayerService(pool, POOL, disks_in_use))
    assert check == real
    assert real["changed"] is bool(removed)
    assert real["diff"] == removal_diff(before, removed)
    assert volumes(pool) == sorted(set(before) - set(removed))


def test_pruned_removes_work_volumes_no_domain_uses_and_the_layers_only_they_held(pool):
    storage = pool.storagePoolLookupByName(POOL)
    storage.createXML(volume_xml("virter:work:web-3", 1024, backing_digest=C), 0)
    young = LayerService(pool, POOL, disks_in_use, now=10).pruned(grace=100)
    assert young["removed_work_volumes"] == [] and "virter:work:web-3" in volumes(pool)
    result = LayerService(pool, POOL, disks_in_use).pruned(0)
    assert result["removed_work_volumes"] == ["virter:work:web-3"]
    assert result["removed"] == [C]
    assert "virter:work:web-3" not in volumes(pool)


def test_an_import_in_flight_keeps_its_layer_within_grace_and_a_lock_of_no_ended_holder_stays(pool):
    storage = pool.storagePoolLookupByName(POOL)
    work, lock = import_work_volume("web", "0123456789ab"), lock_name("web")
    storage.createXML(volume_xml(work, 1024, backing_digest=C), 0)
    storage.createXML(volume_xml(lock, 1024, "raw"), 0)
    try:
        assert LayerService(pool, POOL, disks_in_use, now=10).pruned(grace=100)["changed"] is False
        result = LayerService(pool, POOL, disks_in_use).pruned(0)
        assert result["removed_work_volumes"] == [work] and result["removed"] == [C]
        assert lock in volumes(pool)
    finally:
        storage.storageVolLookupByName(lock).delete(0)
