"""A private dir pool for the image store tests, and small qcow2 files to fill it."""
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

POOL = "vtest-store"
POOL_DIR = Path("/var/lib/libvirt") / POOL


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as src:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def qcow2(path, pattern, size="16M", backing=None, written="1M"):
    """A qcow2 file whose first `written` bytes hold the byte `pattern`. `backing` is a
    digest: the file is then an overlay on ./virter:layer:<digest> (as virter writes
    them), resolved through a link beside it while the data is written."""
    path = Path(path)
    cmd = ["qemu-img", "create", "-q", "-f", "qcow2"]
    link = None
    if backing:
        link = path.parent / ("virter:layer:" + backing)
        cmd += ["-u", "-F", "qcow2", "-b", "./" + link.name]
    subprocess.run(cmd + [str(path), size], check=True)
    if backing:
        link.symlink_to(POOL_DIR / link.name)
    subprocess.run(["qemu-io", "-f", "qcow2", "-c", f"write -P {pattern} 0 {written}", str(path)],
                   check=True, stdout=subprocess.DEVNULL)
    if link:
        link.unlink()
    return path


class PoolFixture:
    def __init__(self, conn):
        import libvirt

        self.conn = conn
        try:
            self.pool = conn.storagePoolLookupByName(POOL)
        except libvirt.libvirtError:
            POOL_DIR.mkdir(parents=True, exist_ok=True)
            self.pool = conn.storagePoolCreateXML(
                f"<pool type='dir'><name>{POOL}</name><target><path>{POOL_DIR}</path></target></pool>", 0)

    def names(self):
        self.pool.refresh(0)
        return sorted(vol.name() for vol in self.pool.listAllVolumes(0))

    def empty(self):
        for path in POOL_DIR.iterdir():
            path.unlink()
        self.pool.refresh(0)

    def place(self, src, name):
        """Put a file into the pool directory by hand, as virter's layout has it."""
        dest = POOL_DIR / name
        shutil.copyfile(src, dest)
        os.chmod(dest, 0o644)
        self.pool.refresh(0)
        return dest

    def add_overlay(self, name, digest):
        """A volume backed by a layer, as virter makes tags and VM disks."""
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
                        f"./virter:layer:{digest}", f"./{name}"], check=True, cwd=POOL_DIR)
        self.pool.refresh(0)

    def remove(self):
        self.empty()
        self.pool.destroy()
        shutil.rmtree(POOL_DIR, ignore_errors=True)
