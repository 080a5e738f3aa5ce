"""Benchmark of registry push and pull (not a test): the guest image pushed and pulled
by virter_image's code, gzip and zstd, side by side in one run with skopeo moving the
same compressed bytes, the standalone compressors, and the floors they make together.

Run inside the sandbox (the registry listens on 127.0.0.1 of its namespace):
    tools/sandbox exec .venv/bin/python bench/registry.py GUEST.qcow2
Needs docker-registry, skopeo, gzip, pigz and zstd (apt-get install skopeo pigz zstd).

skopeo 1.9 rejects virter's Docker v2 manifest with custom layer types, so it is given
the same blobs in an OCI layout. Floors: push = compress to a file + skopeo push;
pull = skopeo pull + decompress the file. Targets: gzip push >= 1.8x faster than
`gzip -1` + skopeo push; zstd push and pull within 1.2x of their floors. Every pull is
checked: the layer file's sha256 must be its name (the code under test also checks the
blob digests and the diff id while it streams).
"""
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
# conftest makes ansible_collections.virter.core importable.
import conftest  # noqa: E402,F401 pylint: disable=unused-import

import libvirt  # noqa: E402

from ansible_collections.virter.core.plugins.module_utils.store.codecs import threads  # noqa: E402
from ansible_collections.virter.core.plugins.module_utils.image.service import ImageService  # noqa: E402

POOL = "vbench-registry"
POOL_DIR = Path("/var/lib/libvirt") / POOL
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
MEDIA = {"gzip": "application/vnd.com.linbit.virter.layer.v1.qcow2.gzip",
         "zstd": "application/vnd.com.linbit.virter.layer.v1.qcow2.zstd"}
COMPRESSORS = {"gzip": ["gzip", "-1", "-c"], "pigz": ["pigz", "-1", "-c"], "zstd": ["zstd", "-1", "-T0", "-q", "-c"]}
DECOMPRESSORS = {"gzip": ["gzip", "-d", "-c"], "zstd": ["zstd", "-d", "-q", "-c"]}


def params(**kw):
    base = dict(name="bench", state="present", source=None, url=None, checksum=None, path=None, force=False,
                save_path=None, vm=None, shutdown=True, shutdown_timeout=60, static_dhcp=False, ref=None,
                push=False, push_ref=None, compression="gzip", registry_username=None,
                registry_password=None, registry_tls_verify=True)
    base.update(kw)
    return base


def best(func, rounds=ROUNDS, setup=None, check=None):
    """Best of `rounds` runs of `func`; `setup` before and `check` after each, untimed."""
    times = []
    for _round in range(rounds):
        if setup is not None:
            setup()
        run(["sync"])  # earlier runs' write-back is not this run's
        start = time.monotonic()
        func()
        times.append(time.monotonic() - start)
        if check is not None:
            check()
    return min(times)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as src:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def run(cmd, out=None):
    with open(out, "wb") if out else open(os.devnull, "wb") as sink:
        subprocess.run(cmd, stdout=sink, check=True)


class Registry:
    def __init__(self, root):
        root.mkdir()
        port = _free_port()
        self.address = f"127.0.0.1:{port}"
        config = root / "config.yml"
        config.write_text("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
                          f"storage:\n  filesystem:\n    rootdirectory: {root}/data\n"
                          f"http:\n  addr: {self.address}\n")
        self.proc = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        for _attempt in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("docker-registry did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def oci_layout(path, blob, media_type, diff_id):
    """An OCI layout holding one image: the compressed layer `blob` (hard-linked) and
    virter's config, in an OCI manifest (which skopeo 1.9 accepts)."""
    blobs = path / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def add(data=None, source=None):
        digest = sha256(source) if source else "sha256:" + hashlib.sha256(data).hexdigest()
        target = blobs / digest.split(":")[1]
        if source:
            os.link(source, target)
        else:
            target.write_bytes(data)
        return {"digest": digest, "size": target.stat().st_size}

    config = json.dumps({"rootfs": {"type": "application/vnd.com.linbit.virter.image.v1.rootfs",
                                    "diff_ids": [diff_id]}}).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.com.linbit.virter.image.v1", **add(config)},
        "layers": [{"mediaType": media_type, **add(source=blob)}],
    }).encode()
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", **add(manifest),
        "annotations": {"org.opencontainers.image.ref.name": "1"}}]}
    (path / "index.json").write_text(json.dumps(index))
    (path / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')


def main(image):
    conn = libvirt.open("qemu:///system")
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
    POOL_DIR.mkdir(parents=True, exist_ok=True)
    pool = conn.storagePoolCreateXML(
        f"<pool type='dir'><name>{POOL}</name><target><path>{POOL_DIR}</path></target></pool>", 0)
    tmp = Path(tempfile.mkdtemp(dir="/var/lib/libvirt"))
    rows = {}
    try:
        def service():
            return ImageService(conn, POOL, tmpdir=str(tmp))

        service().present(params(path=str(image)))
        diff_id = service().store.top_layer("bench")
        layer = POOL_DIR / f"virter:layer:{diff_id}"
        run(["cat", str(layer)])  # warm the page cache, as for every contestant
        size = layer.stat().st_size / 2 ** 20

        for name, cmd in COMPRESSORS.items():
            out = tmp / f"layer.{name}"
            rows[f"{name} -1 (file to file)"] = best(lambda cmd=cmd, out=out: run(cmd + [str(layer)], out))
        for name, cmd in DECOMPRESSORS.items():
            src = tmp / f"layer.{name}"
            rows[f"{name} -d (file to file)"] = best(lambda cmd=cmd, src=src: run(cmd + [str(src)], tmp / "out"))
            (tmp / "out").unlink()
        for codec in ("gzip", "zstd"):
            oci_layout(tmp / f"oci-{codec}", tmp / f"layer.{codec}", MEDIA[codec], diff_id)

        def clear():
            for path in POOL_DIR.iterdir():
                path.unlink()
            pool.refresh(0)

        def verify():
            assert sha256(layer) == diff_id, "pulled layer has the wrong digest"

        # A new registry (new storage, new port) for each round: nothing a client
        # remembers from an earlier round (skopeo's blob cache mounts known blobs) helps.
        for index in range(ROUNDS):
            registry = Registry(tmp / f"registry{index}")
            address = registry.address
            try:
                for codec in ("gzip", "zstd"):
                    times = {
                        f"skopeo push ({codec} blob)": lambda codec=codec: run([
                            "skopeo", "copy", "-q", "--dest-tls-verify=false", f"oci:{tmp}/oci-{codec}:1",
                            f"docker://{address}/skopeo/{codec}:1"]),
                        f"skopeo pull ({codec} blob)": lambda codec=codec: run([
                            "skopeo", "copy", "-q", "--src-tls-verify=false", f"docker://{address}/skopeo/{codec}:1",
                            f"oci:{tmp}/pulled-{codec}{index}:1"]),
                        f"virter_image push {codec}": lambda codec=codec: service().present(params(
                            push=True, push_ref=f"{address}/bench/{codec}:1", compression=codec)),
                        f"virter_image pull {codec}": lambda codec=codec: service().present(params(
                            ref=f"{address}/bench/{codec}:1")),
                    }
                    for label, func in times.items():
                        pulling = label.startswith("virter_image pull")
                        taken = best(func, rounds=1, setup=clear if pulling else None,
                                     check=verify if pulling else None)
                        rows[label] = min(rows.get(label, float("inf")), taken)
            finally:
                registry.stop()
                shutil.rmtree(tmp / f"registry{index}")
        report(rows, size, image)
    finally:
        for path in POOL_DIR.iterdir():
            path.unlink()
        pool.destroy()
        shutil.rmtree(POOL_DIR, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def report(rows, size, image):
    print(f"guest image {image.name}: layer {size:.0f} MiB, {threads()} CPUs, best of {ROUNDS}, "
          f"load {os.getloadavg()[0]:.1f}")
    for label, value in rows.items():
        print(f"  {label:<28} {value:6.2f} s  {size / value:7.1f} MiB/s")
    floors = {
        "push gzip": ("gzip -1 + skopeo push", rows["gzip -1 (file to file)"] + rows["skopeo push (gzip blob)"]),
        "push zstd": ("zstd -1 + skopeo push", rows["zstd -1 (file to file)"] + rows["skopeo push (zstd blob)"]),
        "pull gzip": ("skopeo pull + gzip -d", rows["skopeo pull (gzip blob)"] + rows["gzip -d (file to file)"]),
        "pull zstd": ("skopeo pull + zstd -d", rows["skopeo pull (zstd blob)"] + rows["zstd -d (file to file)"]),
    }
    print("ratios (floor / virter_image: above 1 = virter_image is faster)")
    for what, (label, floor) in floors.items():
        ours = rows[f"virter_image {what}"]
        print(f"  {what}: {label} = {floor:6.2f} s vs {ours:6.2f} s  -> {floor / ours:4.2f}x")
    pigz = rows["pigz -1 (file to file)"] + rows["skopeo push (gzip blob)"]
    print(f"  push gzip: pigz -1 + skopeo push = {pigz:6.2f} s -> {pigz / rows['virter_image push gzip']:4.2f}x")
    print("targets: push gzip >= 1.80x; push zstd and pull zstd >= 0.83x (within 1.2x of the floor)")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
