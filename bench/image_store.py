"""Benchmark of the image store's data path (not a test): importing the guest image and
saving it flattened, each against `sha256sum` and `cp` of the same file in the same run.

Run inside the sandbox (the HTTP server listens on 127.0.0.1 of its namespace):
    tools/sandbox exec .venv/bin/python bench/image_store.py GUEST.qcow2
Prints seconds and ratios against `cp`, and against the floor of an import: the larger
of hashing the file once (OpenSSL's sha256, as hashlib uses it) and a copy that is on
disk (an import makes a layer durable before naming it).
"""
import hashlib
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
# conftest makes ansible_collections.virter.core importable.
import conftest  # noqa: E402,F401 pylint: disable=unused-import

import libvirt  # noqa: E402

from ansible_collections.virter.core.plugins.module_utils.image.service import ImageService  # noqa: E402

POOL = "vbench-store"
POOL_DIR = Path("/var/lib/libvirt") / POOL
ROUNDS = 3


def timed(func, setup=None):
    """Best of ROUNDS runs of `func`; `setup` runs before each, untimed."""
    best = None
    for _round in range(ROUNDS):
        if setup is not None:
            setup()
        subprocess.run(["sync"], check=True)  # earlier rounds' write-back is not this round's
        start = time.monotonic()
        func()
        elapsed = time.monotonic() - start
        best = elapsed if best is None else min(best, elapsed)
    return best


def copy_to_disk(src, dest):
    """cp, then wait until the copy is on disk (an import names a layer only then)."""
    subprocess.run(["cp", str(src), str(dest)], check=True)
    subprocess.run(["sync", "--data", str(dest)], check=True)


def hash_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as src:
        for chunk in iter(lambda: src.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def params(**kw):
    base = dict(name="bench", state="present", source=None, url=None, checksum=None, path=None,
                force=False, save_path=None, ref=None, push=False, push_ref=None, vm=None)
    base.update(kw)
    return base


def main(image):
    conn = libvirt.open("qemu:///system")
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
    POOL_DIR.mkdir(parents=True, exist_ok=True)
    pool = conn.storagePoolCreateXML(
        f"<pool type='dir'><name>{POOL}</name><target><path>{POOL_DIR}</path></target></pool>", 0)
    served = tempfile.mkdtemp()
    shutil.copy(image, Path(served) / "guest.qcow2")

    def handler(*args):
        return http.server.SimpleHTTPRequestHandler(*args, directory=served)

    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/guest.qcow2"
    tmp = Path(tempfile.mkdtemp(dir="/var/lib/libvirt"))
    try:
        def clear():
            for path in POOL_DIR.iterdir():
                path.unlink()
            pool.refresh(0)

        def import_from(**source):
            return lambda: ImageService(conn, POOL, tmpdir=str(tmp)).present(params(**source))

        def save():
            ImageService(conn, POOL, tmpdir=str(tmp)).present(params(save_path=str(tmp / "saved.qcow2")))

        subprocess.run(["cat", str(image)], stdout=subprocess.DEVNULL, check=True)  # warm the cache
        cp = timed(lambda: subprocess.run(["cp", str(image), str(tmp / "copy")], check=True))
        durable = timed(lambda: copy_to_disk(image, tmp / "copy"),
                        lambda: (tmp / "copy").unlink(missing_ok=True))
        sha = timed(lambda: subprocess.run(["sha256sum", str(image)], stdout=subprocess.DEVNULL, check=True))
        hashed = timed(lambda: hash_file(image))
        file_import = timed(import_from(path=str(image)), clear)
        url_import = timed(import_from(url=url), clear)
        saving = timed(save, lambda: (tmp / "saved.qcow2").unlink(missing_ok=True))
        size = image.stat().st_size / 2 ** 20
        print(f"guest image {size:.0f} MiB, best of {ROUNDS}")
        print(f"  cp                  {cp:6.2f} s")
        print(f"  sha256sum           {sha:6.2f} s")
        print(f"  sha256sum + cp      {sha + cp:6.2f} s")
        print(f"  cp + sync --data    {durable:6.2f} s   (the copy on disk)")
        print(f"  sha256 (OpenSSL)    {hashed:6.2f} s   (hashlib, one read pass)")
        floor = max(durable, hashed)
        print(f"  floor               {floor:6.2f} s   (the larger of the two above)")
        for label, value in (("import (file)", file_import), ("import (http)", url_import),
                             ("save (flattened)", saving)):
            print(f"  {label:<19} {value:6.2f} s   {value / cp:4.2f}x cp   "
                  f"{value / (sha + cp):4.2f}x sha256sum+cp   {value / floor:4.2f}x floor")
    finally:
        server.shutdown()
        for path in POOL_DIR.iterdir():
            path.unlink()
        pool.destroy()
        shutil.rmtree(POOL_DIR, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(served, ignore_errors=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
