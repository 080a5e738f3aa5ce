"""A private dir pool for the image store tests, and small qcow2 files to fill it."""
import hashlib
import json
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
    """A qcow2 file whose first `written` bytes hold the byte `pattern`; with `backing`
    (a digest) an overlay on ./virter:layer:<digest> as virter writes them, written
    without opening the backing file."""
    cmd = ["qemu-img", "create", "-q", "-f", "qcow2"]
    if backing:
        cmd += ["-u", "-F", "qcow2", "-b", "./virter:layer:" + backing]
    subprocess.run(cmd + [str(path), size], check=True)
    spec = {"driver": "qcow2", "backing": None, "file": {"driver": "file", "filename": str(path)}}
    subprocess.run(["qemu-io", "-c", f"write -P {pattern} 0 {written}", "json:" + json.dumps(spec)],
                   check=True, stdout=subprocess.DEVNULL)
    return Path(path)


class PoolFixture:
    """A transient dir pool `name` under /var/lib/libvirt, found again if it exists."""

    def __init__(self, conn, name):
        import libvirt

        self.conn = conn
        self.dir = Path("/var/lib/libvirt") / name
        try:
            self.pool = conn.storagePoolLookupByName(name)
        except libvirt.libvirtError:
            self.dir.mkdir(parents=True, exist_ok=True)
            self.pool = conn.storagePoolCreateXML(
                f"<pool type='dir'><name>{name}</name><target><path>{self.dir}</path></target></pool>", 0)

    def names(self):
        self.pool.refresh(0)
        return sorted(vol.name() for vol in self.pool.listAllVolumes(0))

    def layer_digests(self):
        """{volume name: sha256 of its file} of every layer volume."""
        return {name: sha256(self.dir / name) for name in self.names() if name.startswith("virter:layer:")}

    def empty(self):
        for path in self.dir.iterdir():
            path.unlink()
        self.pool.refresh(0)

    def place(self, src, name):
        """Put a file into the pool directory by hand, as virter's layout has it."""
        dest = self.dir / name
        shutil.copyfile(src, dest)
        os.chmod(dest, 0o644)
        self.pool.refresh(0)
        return dest

    def add_overlay(self, name, digest):
        """A volume backed by a layer, as virter makes tags and VM disks."""
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
                        f"./virter:layer:{digest}", f"./{name}"], check=True, cwd=self.dir)
        self.pool.refresh(0)

    def remove(self):
        self.empty()
        self.pool.destroy()
        shutil.rmtree(self.dir, ignore_errors=True)
