"""`ansible-inventory --list` over an inventory source, as plain data."""
import json
import os
import subprocess


def plain(value):
    """ansible-core 2.19 writes untrusted strings as {"__ansible_unsafe": text}: unwrap them."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return dict((key, plain(item)) for key, item in value.items())
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def run_inventory(source, env=None):
    """The finished `ansible-inventory --list` process."""
    return subprocess.run(["ansible-inventory", "-i", str(source), "--list"], capture_output=True, text=True,
                          check=False, timeout=120, env={**os.environ, **(env or {})})


def list_inventory(source):
    proc = run_inventory(source)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return plain(json.loads(proc.stdout))
