"""The VM service on libvirt's in-process test driver (test:///default): what a failed or
interrupted creation leaves, and what the next run reclaims.

The test driver cannot upload into a volume (virStorageVolUpload) and refuses undefine's
NVRAM flag, so the seed's upload is a no-op and the flag 0 here; tests/integration covers
both with a real libvirtd."""
import libvirt
import pytest

from ansible_collections.virter.core.plugins.module_utils.network import reservations
from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput, LibvirtError, VirterError
from ansible_collections.virter.core.plugins.module_utils.store.volume_xml import volume_xml
from ansible_collections.virter.core.plugins.module_utils.vm import create, listing, service

POOL = "default-pool"
LAYER = "sha256:" + "a" * 64
KEYS = ("id", "count", "memory", "vcpus", "boot_capacity", "disks", "nics", "mounts", "console_dir", "gdb_port",
        "vnc", "vnc_port", "vnc_listen", "user", "ssh_public_keys", "user_data", "virt_type", "arch",
        "secure_boot", "disk_cache")


@pytest.fixture
def conn(monkeypatch):
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
    monkeypatch.setattr(create, "upload_bytes", lambda _conn, _vol, _data: None)
    monkeypatch.setattr(libvirt, "VIR_DOMAIN_UNDEFINE_NVRAM", 0)  # a flag the test driver refuses
    conn = libvirt.open("test:///default")
    pool = conn.storagePoolLookupByName(POOL)
    pool.createXML(volume_xml("virter:layer:" + LAYER, 1024 ** 2), 0)
    pool.createXML(volume_xml("virter:tag:img", 1024 ** 2, backing_digest=LAYER), 0)
    yield conn
    # The test driver's default state lives as long as any connection to it: undo the test.
    for dom in conn.listAllDomains(0):
        if dom.name() != "test":
            dom.undefine()
    for vol in pool.listAllVolumes(0):
        vol.delete(0)
    for name, _ip in hosts(conn):
        reservations.release(conn, "default", [h["mac"] for h in model_hosts(conn) if h["name"] == name][0])
    conn.close()


def params(tmp_path, **kw):
    base = dict.fromkeys(KEYS)
    base.update(name="web", state="stopped", image="img", pull_policy="IfNotExist", static_dhcp=False,
                wait_for="none", wait_timeout=10, shutdown_timeout=5, recreate=False, network="default",
                force=False, pool=POOL, ssh_private_key_file=str(tmp_path / "id"))
    base.update(kw)
    return base


def run(conn, tmp_path, check_mode=False, **kw):
    return service.VmService(conn, params(tmp_path, **kw), check_mode).run()


def work_volumes(conn):
    return sorted(v.name() for v in conn.storagePoolLookupByName(POOL).listAllVolumes(0)
                  if v.name().startswith("virter:work:"))


def model_hosts(conn):
    return listing.network_models(conn, ["default"])["default"]["hosts"]


def hosts(conn):
    return sorted(((h["name"], h["ip"]) for h in model_hosts(conn)), key=str)


def domains(conn):
    return sorted(d.name() for d in conn.listAllDomains(0) if d.name() != "test")


def test_group_members_host_entries_carry_their_names(conn, tmp_path):
    run(conn, tmp_path, count=2)
    assert hosts(conn) == [("web-2", "192.168.122.2"), ("web-3", "192.168.122.3")]


def test_a_failed_define_leaves_nothing(conn, tmp_path, monkeypatch):
    def refuse(_xml):
        raise libvirt.libvirtError("refused")
    monkeypatch.setattr(conn, "defineXML", refuse)
    with pytest.raises(LibvirtError, match="define VM web-"):
        run(conn, tmp_path, count=2, disks=[{"name": "data", "size": "1M", "format": "qcow2", "bus": "virtio",
                                             "pool": POOL}])
    assert (work_volumes(conn), hosts(conn), domains(conn)) == ([], [], [])


def test_a_failed_start_removes_the_new_vm(conn, tmp_path, monkeypatch):
    made = []

    def refuse(_service, vm, _state):
        made.append(vm)
        raise VirterError("start VM %s: no room" % vm)
    monkeypatch.setattr(service.VmService, "set_state", refuse)
    with pytest.raises(VirterError, match="no room"):
        run(conn, tmp_path, state="running")
    assert made == ["web"]
    assert (work_volumes(conn), hosts(conn), domains(conn)) == ([], [], [])


def leave_member(conn, vm_id, named=True):
    """What a run killed between reserving member web-<id> and defining it leaves."""
    reservations.reserve(conn, "default", vm_id=vm_id, name="web-%d" % vm_id if named else None)
    pool = conn.storagePoolLookupByName(POOL)
    pool.createXML(volume_xml("virter:work:web-%d" % vm_id, 1024 ** 2, backing_digest=LAYER), 0)


@pytest.mark.parametrize("task", [{"count": 0}, {"count": 2, "state": "absent"}, {"count": 1}])
def test_the_next_run_reclaims_what_an_interrupted_one_left(conn, tmp_path, task):
    leave_member(conn, 7)
    reservations.reserve(conn, "default", vm_id=9)  # nameless: not the collection's own
    assert run(conn, tmp_path, check_mode=True, **task)["changed"] is True
    assert work_volumes(conn) == ["virter:work:web-7"]
    assert run(conn, tmp_path, **task)["changed"] is True
    members = ["web-2"] if task.get("count") == 1 else []
    assert domains(conn) == members
    assert hosts(conn) == [(vm, "192.168.122.2") for vm in members] + [(None, "192.168.122.9")]
    assert work_volumes(conn) == ["virter:work:%s%s" % (vm, end) for vm in members for end in ("", "-cidata")]
    assert run(conn, tmp_path, **task)["changed"] is False


def test_a_named_vm_reclaims_its_leftovers_when_removed(conn, tmp_path):
    reservations.reserve(conn, "default", vm_id=4, name="db")
    conn.storagePoolLookupByName(POOL).createXML(volume_xml("virter:work:db-cidata", 1024), 0)
    assert run(conn, tmp_path, name="db", state="absent")["changed"] is True
    assert (work_volumes(conn), hosts(conn)) == ([], [])


def test_memory_beyond_the_host_fails_before_anything_is_made(conn, tmp_path):
    with pytest.raises(InvalidInput, match=r"memory of VM web \(104857600 MiB\) is more than the hypervisor has"):
        run(conn, tmp_path, memory="100T")
    assert (work_volumes(conn), hosts(conn), domains(conn)) == ([], [], [])
