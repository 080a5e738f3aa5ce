"""The sandbox starts twice, reports its state, and stops leaving nothing behind.

Runs in the machine's root namespace as the last step of `make test` (it stops the sandbox).
"""
import os
import subprocess
from pathlib import Path

import pytest

SANDBOX = str(Path(__file__).resolve().parents[2] / "tools" / "sandbox")


def sandbox(*args):
    return subprocess.run([SANDBOX, *args], capture_output=True, text=True, timeout=120, check=False)


def processes(name):
    """PIDs of processes with this name (pgrep -x only sees the first 15 characters)."""
    how = ["-x", name] if len(name) <= 15 else ["-f", "^[^ ]*/" + name]
    return subprocess.run(["pgrep", *how], capture_output=True, text=True, check=False).stdout.split()


def root_links():
    return subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module", autouse=True)
def netns_mode():
    if sandbox("mode").stdout.strip() != "netns":
        pytest.skip("the host's own libvirt is in use (VIRTER_SANDBOX=host)")


def test_start_is_idempotent_and_status_reports():
    for attempt in (1, 2):
        started = sandbox("start")
        assert started.returncode == 0, f"start #{attempt}: {started.stderr}"
    status = sandbox("status")
    assert status.returncode == 0, status.stderr
    assert "mode: netns" in status.stdout
    lines = dict(line.split(": ", 1) for line in status.stdout.splitlines() if ": " in line)
    assert "default" in lines["pools"].split()
    assert "default" in lines["networks"].split()
    # The access network's bridge exists inside the namespace, never in the root one.
    inside = sandbox("exec", "ip", "-o", "link").stdout
    assert "virbr" in inside
    assert "virbr" not in root_links()


def test_stop_leaves_nothing_behind():
    stopped = sandbox("stop")
    assert stopped.returncode == 0, stopped.stderr
    for name in ("libvirtd", "virtlogd", "dnsmasq", "qemu-system-x86_64"):
        assert processes(name) == [], f"{name} still running"
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    assert os.environ.get("VIRTER_SANDBOX_NS", "virter-sandbox") not in netns
    links = root_links()
    assert "virbr" not in links and "vnet" not in links
    assert sandbox("status").returncode == 3
    # A second stop is harmless.
    assert sandbox("stop").returncode == 0
