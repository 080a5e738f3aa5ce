"""virter_image, virter_image_info, virter_layer and virter_layer_info through real
ansible-playbook runs against a private dir pool, with images served over HTTP on
127.0.0.1."""
import os
import signal
import subprocess
import time

import pytest
import yaml

from helpers.ansible_run import four_step, run_task
from helpers.store import POOL, POOL_DIR, qcow2, sha256

IMAGE = "virter.core.virter_image"
IMAGE_INFO = "virter.core.virter_image_info"
LAYER = "virter.core.virter_layer"
LAYER_INFO = "virter.core.virter_layer_info"


def image(args, **kw):
    return run_task(IMAGE, {"pool": POOL, **args}, **kw)


def layers():
    return {layer["digest"]: layer for layer in run_task(LAYER_INFO, {"pool": POOL})["layers"]}


def images():
    return {img["name"]: img for img in run_task(IMAGE_INFO, {"pool": POOL})["images"]}


def test_url_import_save_and_force(pool, served_guest_image, guest_image_file, tmp_path):
    digest = sha256(guest_image_file)
    args = {"pool": POOL, "name": "debian", "url": served_guest_image}
    results = four_step(IMAGE, args)
    assert results[0]["image"]["top_layer"] is None  # check mode cannot know it
    img = results[1]["image"]
    assert img["top_layer"] == digest and img["layers"] == [digest]
    assert img["virtual_size"] == 3 * 1024 ** 3
    assert results[3]["image"] == img
    assert pool.names() == [f"virter:layer:{digest}", "virter:tag:debian"]
    assert oct((POOL_DIR / f"virter:layer:{digest}").stat().st_mode & 0o777) == "0o644"

    # force with the same content: fetched again, nothing changes
    same = image({"name": "debian", "url": served_guest_image, "force": True})
    assert same["changed"] is False and same["image"] == img
    predicted = image({"name": "debian", "url": served_guest_image, "force": True, "checksum": digest},
                      check=True)
    assert predicted["changed"] is False

    save = tmp_path / "flat.qcow2"
    results = four_step(IMAGE, {**args, "save_path": str(save)})
    info = subprocess.run(["qemu-img", "info", "--output=json", str(save)], capture_output=True,
                          text=True, check=True).stdout
    assert '"backing-filename"' not in info and '"format": "qcow2"' in info
    subprocess.run(["qemu-img", "compare", "-q", str(guest_image_file), str(save)], check=True)
    assert not list(tmp_path.glob(".*virter-part"))
    assert image({**args, "save_path": str(save), "force": True})["changed"] is True


def test_short_names_from_image_lists(pool, http_server, tmp_path):
    base, root = http_server
    qcow2(root / "tiny.qcow2", 0x11)
    data, config = tmp_path / "data", tmp_path / "config"
    (data / "virter").mkdir(parents=True)
    (config / "virter").mkdir(parents=True)
    (data / "virter" / "images.toml").write_text(
        f'version = 1\n[images.tiny]\nurl = "{base}/missing.qcow2"\n'
        f'[images.other]\nurl = "{base}/tiny.qcow2"\n')
    (config / "virter" / "images.toml").write_text(f'version = 1\n[images.tiny]\nurl = "{base}/tiny.qcow2"\n')
    env = {"XDG_DATA_HOME": str(data), "XDG_CONFIG_HOME": str(config)}
    result = image({"name": "tiny", "url": "tiny"}, env=env)
    assert result["changed"] is True, result
    assert result["image"]["top_layer"] == sha256(root / "tiny.qcow2")
    assert image({"name": "other", "url": "other"}, env=env)["changed"] is True
    missing = image({"name": "nope", "url": "no-such-image"}, env=env)
    assert missing["failed"] and "not in any image list" in missing["msg"]


def test_bad_input_fails_and_changes_nothing(pool, http_server, tmp_path):
    base, root = http_server
    good = qcow2(root / "good.qcow2", 0x22)
    (root / "text.qcow2").write_text("this is not a disk image\n" * 100)
    big = qcow2(tmp_path / "big.qcow2", 0x33, written="8M")
    (root / "truncated.qcow2").write_bytes(big.read_bytes()[: 4 * 1024 * 1024])
    outside = qcow2(tmp_path / "outside.qcow2", 0x44)
    subprocess.run(["qemu-img", "rebase", "-u", "-f", "qcow2", "-F", "qcow2", "-b", "/etc/base.qcow2",
                    str(outside)], check=True)
    image({"name": "keep", "url": f"{base}/good.qcow2"})
    before = pool.names()

    cases = [
        ({"name": "x", "url": "http://127.0.0.1:9/x.qcow2"}, "cannot download"),
        ({"name": "x", "url": f"{base}/nothing-here.qcow2"}, "HTTP 404"),
        ({"name": "x", "url": f"{base}/good.qcow2", "checksum": "sha256:" + "0" * 64}, "checksum mismatch"),
        ({"name": "x", "url": f"{base}/text.qcow2"}, "not a qcow2 file"),
        ({"name": "x", "url": f"{base}/truncated.qcow2"}, "damaged or truncated"),
        ({"name": "x", "path": str(outside)}, "outside the store"),
        ({"name": "x", "url": "no-such-short-name"}, "not in any image list"),
        ({"name": "bad/name", "url": f"{base}/good.qcow2"}, "invalid image name"),
        ({"name": "x", "url": f"{base}/good.qcow2", "save_path": str(tmp_path / "no" / "x.qcow2")},
         "does not exist"),
        ({"name": "x", "url": f"{base}/good.qcow2", "checksum": "md5:abc"}, "invalid checksum"),
        ({"name": "x", "source": "local"}, "does not exist"),
    ]
    env = {"XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    for args, message in cases:
        result = image(args, env=env)
        assert result.get("failed") is True, (args, result)
        assert message in result["msg"], (args, result["msg"])
        assert "Traceback" not in result.get("module_stderr", ""), result
        assert pool.names() == before, args
    assert images()["keep"]["top_layer"] == sha256(good)


def assert_same_prediction(check, real):
    """Check mode's answer is the real run's."""
    for key in ("changed", "diff", "removed", "removed_images"):
        assert check[key] == real[key], (key, check, real)


def test_shared_base_and_removal_order(pool, tmp_path):
    base = qcow2(tmp_path / "base.qcow2", 0x01)
    base_digest = sha256(base)
    assert image({"name": "base", "path": str(base)})["changed"]
    kids = {}
    for name, pattern in (("kid1", 0x02), ("kid2", 0x03)):
        kid = qcow2(tmp_path / f"{name}.qcow2", pattern, backing=base_digest)
        kids[name] = sha256(kid)
        result = image({"name": name, "path": str(kid)})
        assert result["image"]["layers"] == [base_digest, kids[name]], result
    used = layers()[base_digest]["used_by"]
    assert used == {"images": ["base"], "vms": [], "layers": sorted(kids.values()), "volumes": []}

    # A VM disk on kid1's layer keeps kid1's chain alive after the image goes.
    pool.add_overlay("virter:work:vm1", kids["kid1"])
    assert image({"name": "base", "state": "absent"})["removed"] == []
    assert image({"name": "kid1", "state": "absent"})["removed"] == []
    assert set(layers()) == {base_digest, kids["kid1"], kids["kid2"]}
    assert layers()[kids["kid1"]]["used_by"]["vms"] == ["vm1"]

    in_use = run_task(LAYER, {"pool": POOL, "digest": kids["kid2"], "state": "absent"})
    assert in_use["failed"] and "in use by image kid2" in in_use["msg"]
    vm_layer = run_task(LAYER, {"pool": POOL, "digest": kids["kid1"], "state": "absent", "force": True})
    assert vm_layer["failed"] and "VM volume vm1" in vm_layer["msg"]
    forced_args = {"pool": POOL, "digest": kids["kid2"], "state": "absent", "force": True}
    forced_check = run_task(LAYER, forced_args, check=True, diff=True)
    forced = run_task(LAYER, forced_args, diff=True)
    assert forced["changed"] and forced["removed"] == [kids["kid2"]] and forced["removed_images"] == ["kid2"]
    assert forced["diff"] == {
        "before": {"layers": sorted([base_digest, kids["kid1"], kids["kid2"]]), "images": ["kid2"]},
        "after": {"layers": sorted([base_digest, kids["kid1"]]), "images": []}}, forced
    assert_same_prediction(forced_check, forced)

    # The VM goes: its layers are unused now, and too young for the default grace.
    pool.pool.storageVolLookupByName("virter:work:vm1").delete(0)
    assert run_task(LAYER, {"pool": POOL, "state": "pruned"})["removed"] == []
    # An option of the other state is refused, not ignored (a digest would prune everything).
    mixed = run_task(LAYER, {"pool": POOL, "state": "pruned", "grace": "0s", "digest": base_digest})
    assert mixed["failed"] and "digest applies to state absent only" in mixed["msg"], mixed
    assert set(layers()) == {base_digest, kids["kid1"]}
    check = run_task(LAYER, {"pool": POOL, "state": "pruned", "grace": "0s"}, check=True, diff=True)
    real = run_task(LAYER, {"pool": POOL, "state": "pruned", "grace": "0s"}, diff=True)
    assert real["removed"] == [kids["kid1"], base_digest]
    assert real["diff"] == {"before": {"layers": sorted([base_digest, kids["kid1"]]), "images": []},
                            "after": {"layers": [], "images": []}}, real
    assert_same_prediction(check, real)
    assert pool.names() == []
    again = run_task(LAYER, {"pool": POOL, "state": "pruned", "grace": "0s"}, diff=True)
    assert again["changed"] is False and again["diff"]["before"] == again["diff"]["after"], again
    assert_same_prediction(run_task(LAYER, forced_args, check=True, diff=True), run_task(LAYER, forced_args, diff=True))


def test_an_existing_image_needs_no_source(pool, tmp_path):
    """The file an image came from may go: a rerun that fetches nothing does not look."""
    path = qcow2(tmp_path / "gone.qcow2", 0x07)
    assert image({"name": "gone", "path": str(path)})["changed"]
    path.unlink()
    again = image({"name": "gone", "path": str(path)})
    assert again["changed"] is False and not again.get("failed"), again
    forced = image({"name": "gone", "path": str(path), "force": True})
    assert forced["failed"] and str(path) in forced["msg"], forced


def test_prune_unused_for(pool, tmp_path):
    old, new = qcow2(tmp_path / "old.qcow2", 0x05), qcow2(tmp_path / "new.qcow2", 0x06)
    image({"name": "old", "path": str(old)})
    image({"name": "new", "path": str(new)})
    month_ago = time.time() - 30 * 86400
    os.utime(POOL_DIR / f"virter:layer:{sha256(old)}", (month_ago, month_ago))
    result = run_task(LAYER, {"pool": POOL, "state": "pruned", "unused_for": "7d", "grace": "0s"})
    assert result["removed_images"] == ["old"] and result["removed"] == [sha256(old)], result
    assert list(images()) == ["new"]


def test_virter_populated_pool(pool, tmp_path):
    """Volumes laid out by virter itself (made here with qemu-img, as virter names them)."""
    base = qcow2(tmp_path / "base.qcow2", 0x07)
    digest = sha256(base)
    pool.place(base, f"virter:layer:{digest}")
    pool.add_overlay("virter:tag:provision:latest", digest)
    found = images()["provision:latest"]
    assert found["layers"] == [digest] and found["virtual_size"] == 16 * 1024 ** 2
    assert image({"name": "provision:latest"})["changed"] is False  # source local
    # The same content under another name shares the layer.
    assert image({"name": "copy", "path": str(base)})["image"]["layers"] == [digest]
    assert layers()[digest]["used_by"]["images"] == ["copy", "provision:latest"]
    assert image({"name": "provision:latest", "state": "absent"})["removed"] == []
    assert image({"name": "copy", "state": "absent"})["removed"] == [digest]
    assert pool.names() == []


def _playbook(tmp_path, args):
    book = tmp_path / "import.yml"
    book.write_text(yaml.safe_dump([{
        "hosts": "localhost", "connection": "local", "gather_facts": False,
        "tasks": [{IMAGE: {"pool": POOL, **args}}],
    }]))
    return book


def _holder(path):
    """The pid of the process that has `path` open."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") == str(path) for fd in os.listdir(f"/proc/{pid}/fd")):
                return int(pid)
        except OSError:
            continue
    raise AssertionError(f"nothing has {path} open")


def test_killed_import_is_cleaned_by_rerun(pool, slow_http, tmp_path):
    url, source = slow_http
    proc = subprocess.Popen(["ansible-playbook", str(_playbook(tmp_path, {"name": "killed", "url": url}))],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not [work for work in POOL_DIR.glob("virter:work:import:killed:*") if work.stat().st_size > 4 << 20]:
        assert proc.poll() is None and time.monotonic() < deadline, "the import did not start"
        time.sleep(0.05)
    work = next(POOL_DIR.glob("virter:work:import:killed:*"))
    os.kill(_holder(work), signal.SIGKILL)  # the module process itself
    assert proc.wait(timeout=60) != 0
    names = pool.names()
    assert "virter:tag:killed" not in names and not any(n.startswith("virter:layer:") for n in names)
    assert "virter-core-lock:image:killed" in names

    # The rerun breaks the lock of the killed run at once (it ran on this machine).
    start = time.monotonic()
    result = image({"name": "killed", "url": url})
    assert time.monotonic() - start < 30
    assert result["changed"] is True, result
    assert result["image"]["top_layer"] == sha256(source)
    assert pool.names() == [f"virter:layer:{sha256(source)}", "virter:tag:killed"]


@pytest.fixture(scope="module")
def slow_http(tmp_path_factory):
    """A qcow2 of 32 MiB served at about 8 MiB/s, so an import can be caught mid-way."""
    import http.server
    import threading

    root = tmp_path_factory.mktemp("slow")
    source = qcow2(root / "slow.qcow2", 0x09, size="64M", written="32M")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server API)
            data = source.read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            for offset in range(0, len(data), 256 * 1024):
                self.wfile.write(data[offset:offset + 256 * 1024])
                time.sleep(0.03)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/slow.qcow2", source
    server.shutdown()
