"""The registry tests' pool name, and direct access to the test registry (its API, its
files and its access log)."""
import gzip
import hashlib
import json
import re
from pathlib import Path

import requests

from helpers.store import sha256

POOL = "vtest-registry"
POOL_DIR = Path("/var/lib/libvirt") / POOL
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


class Registry:
    """The test registry seen from outside the module."""

    def __init__(self, info):
        self.address = info["address"]
        self.data = Path(info["data"])
        self.log = Path(info["log"])
        self.base = f"http://{self.address}/v2/"

    def manifest(self, repo, tag):
        resp = requests.get(self.base + f"{repo}/manifests/{tag}",
                            headers={"Accept": f"{DOCKER_MANIFEST}, {OCI_MANIFEST}"}, timeout=30)
        resp.raise_for_status()
        return resp.json()

    def blob(self, repo, digest):
        resp = requests.get(self.base + f"{repo}/blobs/{digest}", timeout=60)
        resp.raise_for_status()
        return resp.content

    def config(self, repo, tag):
        return json.loads(self.blob(repo, self.manifest(repo, tag)["config"]["digest"]))

    def put_blob(self, repo, data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        start = requests.post(self.base + f"{repo}/blobs/uploads/", timeout=30)
        start.raise_for_status()
        location = start.headers["Location"]
        sep = "&" if "?" in location else "?"
        done = requests.put(f"{location}{sep}digest={digest}", data=data, timeout=60,
                            headers={"Content-Type": "application/octet-stream"})
        done.raise_for_status()
        return {"digest": digest, "size": len(data)}

    def put_manifest(self, repo, tag, manifest, media_type=DOCKER_MANIFEST):
        resp = requests.put(self.base + f"{repo}/manifests/{tag}", data=json.dumps(manifest), timeout=30,
                            headers={"Content-Type": media_type})
        resp.raise_for_status()

    def image(self, repo, tag, layer_files, config_type="application/vnd.com.linbit.virter.image.v1",
              diff_ids=None, layer_type="application/vnd.com.linbit.virter.layer.v1.qcow2.gzip",
              manifest_type=DOCKER_MANIFEST):
        """Push an image made by hand (for inputs the module would never write)."""
        layers = []
        for path in layer_files:
            layers.append({"mediaType": layer_type, **self.put_blob(repo, gzip.compress(Path(path).read_bytes(), 1))})
        config = {"rootfs": {"type": "layers", "diff_ids": diff_ids or [sha256(p) for p in layer_files]}}
        config_desc = {"mediaType": config_type, **self.put_blob(repo, json.dumps(config).encode())}
        self.put_manifest(repo, tag, {"schemaVersion": 2, "mediaType": manifest_type,
                                      "config": config_desc, "layers": layers}, manifest_type)

    def blob_file(self, digest):
        hexa = digest.split(":", 1)[1]
        return self.data / "docker/registry/v2/blobs/sha256" / hexa[:2] / hexa / "data"

    def requests(self, method, pattern=""):
        """Access log lines of `method` requests whose path matches `pattern`."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            match = re.search(r'"([A-Z]+) (/v2/\S*) HTTP', line)
            if match and match.group(1) == method and re.search(pattern, match.group(2)):
                found.append(match.group(2))
        return found
