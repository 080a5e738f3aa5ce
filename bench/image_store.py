"""Benchmark of the image store's data path (not a test): importing the guest image and
saving it flattened, each against `sha256sum` and `cp` of the same file in the same run.

Run inside the sandbox (the HTTP server listens on 127.0.0.1 of its namespace):
    tools/sandbox exec .venv/bin/python bench/image_store.py GUEST.qcow2
Prints seconds and ratios; the target is an import within 1.3x of one `cp`.
"""
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

from ansible_collections.virter.core.plugins.module_utils._image import ImageService  # noqa: E402

POOL = "vbench-store"
POOL_DIR = Path("/var/lib/libvirt") / POOL
ROUNDS = 3


def timed(func):
    best = None
    for _round in range(ROUNDS):
        start = time.monotonic()
        func()
        elapsed = time.monotonic() - start
        best = elapsed if best is None else min(best, elapsed)
    return best


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
            def run():
                clear()
                ImageService(conn, POOL, tmpdir=str(tmp)).present(params(**source))
            return run

        def save():
            out = tmp / "saved.qcow2"
            out.unlink(missing_ok=True)
            ImageService(conn, POOL, tmpdir=str(tmp)).present(params(save_path=str(out)))

        subprocess.run(["cat", str(image)], stdout=subprocess.DEVNULL, check=True)  # warm the cache
        cp = timed(lambda: subprocess.run(["cp", str(image), str(tmp / "copy")], check=True))
        sha = timed(lambda: subprocess.run(["sha256sum", str(image)], stdout=subprocess.DEVNULL, check=True))
        file_import = timed(import_from(path=str(image)))
        url_import = timed(import_from(url=url))
        saving = timed(save)
        size = image.stat().st_size / 2 ** 20
        print(f"guest image {size:.0f} MiB, best of {ROUNDS}")
        print(f"  cp                  {cp:6.2f} s")
        print(f"  sha256sum           {sha:6.2f} s")
        print(f"  sha256sum + cp      {sha + cp:6.2f} s")
        for label, value in (("import (file)", file_import), ("import (http)", url_import),
                             ("save (flattened)", saving)):
            print(f"  {label:<19} {value:6.2f} s   {value / cp:4.2f}x cp   "
                  f"{value / (sha + cp):4.2f}x sha256sum+cp")
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
