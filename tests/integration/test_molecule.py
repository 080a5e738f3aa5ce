"""`molecule test` on the collection's scenario (extensions/molecule/default): one VM made
by virter.core.create, converge, idempotence, verify over SSH with the host key pinned,
destroy by virter.core.destroy; libvirt is left as it was."""
import os
import re
import subprocess
from pathlib import Path

from helpers.state import libvirt_state, only

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "vtest-mol"  # the scenario's VM and image


def test_molecule_default_scenario(guest_image_file, libvirt_conn, tmp_path):
    before = only(libvirt_state(libvirt_conn), PREFIX)
    env = dict(os.environ, VIRTER_TEST_IMAGE=str(guest_image_file), MOLECULE_EPHEMERAL_DIRECTORY=str(tmp_path),
               NO_COLOR="1")
    proc = subprocess.run(["molecule", "test", "--scenario-name", "default"], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False, timeout=1500)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    for step in ("destroy", "syntax", "create", "converge", "idempotence", "verify"):
        assert f"default > {step}: Executed: Successful" in output, f"step {step} did not succeed:\n{output}"
    assert re.search(r"actions=7\s+successful=7\s", output), output
    assert only(libvirt_state(libvirt_conn), PREFIX) == before
