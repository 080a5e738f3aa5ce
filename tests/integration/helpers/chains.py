"""The store's tags as qemu-img sees them: a tag's backing chain opens, every file in it
passes `qemu-img check`, and a layer's file has the digest its name says."""
import json
import subprocess
from pathlib import Path

from helpers.store import sha256

TAG = "virter:tag:"
LAYER = "virter:layer:"


def broken_tags(conn, pool="default", verify=lambda tag: False):
    """{tag volume: what is wrong} for every tag of `pool` whose chain is not sound;
    the layers of the tags `verify(name)` selects are also hashed."""
    storage = conn.storagePoolLookupByName(pool)
    storage.refresh(0)
    problems = {}
    for vol in storage.listAllVolumes(0):
        name = vol.name()
        if name.startswith(TAG):
            problem = chain_problem(vol.path(), verify(name[len(TAG):]))
            if problem:
                problems[name] = problem
    return problems


def chain_problem(path, hash_layers=False):
    """What is wrong with the chain of the qcow2 file at `path`, or None."""
    info = subprocess.run(["qemu-img", "info", "-U", "--backing-chain", "--output=json", path],
                          capture_output=True, text=True, check=False)
    if info.returncode:
        return f"qemu-img info: {info.stderr.strip()}"
    for image in json.loads(info.stdout):
        filename = image["filename"]
        check = subprocess.run(["qemu-img", "check", "-U", "-q", filename],
                               capture_output=True, text=True, check=False)
        if check.returncode:
            first = (check.stdout + check.stderr).strip().splitlines()[:1]
            return f"qemu-img check {filename} exited {check.returncode}: {' '.join(first)}"
        base = Path(filename).name
        if hash_layers and base.startswith(LAYER) and sha256(filename) != base[len(LAYER):]:
            return f"{base} does not hold the data its digest names"
    return None
