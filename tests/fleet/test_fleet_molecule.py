"""`molecule test` from the controller namespace on the collection's remote scenario
(extensions/molecule/remote): one platform on each simulated hypervisor, made by
virter.core.create through the linked inventory of the hosts, converged and verified
through each VM's hypervisor with strict host key checking, destroyed by
virter.core.destroy, leaving nothing on either host."""
import re
import sys
from pathlib import Path

import yaml

from fleet_helpers import HOSTS, fleet_exec, leftovers

ROOT = Path(__file__).resolve().parents[2]


def test_molecule_remote_scenario(fleet, guest_image_file, tmp_path):
    # The fleet's hosts with the venv's Python (the modules' libraries), as one inventory file.
    inventory = yaml.safe_load(fleet.read_text())
    for host in HOSTS:
        inventory["virter_hypervisors"]["hosts"][host]["ansible_python_interpreter"] = sys.executable
    hosts = tmp_path / "hypervisors.yml"
    hosts.write_text(yaml.safe_dump(inventory))
    env = {"VIRTER_TEST_IMAGE": guest_image_file, "VIRTER_MOLECULE_HYPERVISORS": str(hosts),
           "MOLECULE_EPHEMERAL_DIRECTORY": str(tmp_path / "ephemeral"), "NO_COLOR": "1"}
    proc = fleet_exec("controller", ["sh", "-c", f"cd {ROOT} && exec molecule test --scenario-name remote"],
                      env=env, timeout=1500)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    for step in ("destroy", "syntax", "create", "converge", "idempotence", "verify"):
        assert f"remote > {step}: Executed: Successful" in output, f"step {step} did not succeed:\n{output}"
    assert re.search(r"actions=7\s+successful=7\s", output), output
    for host in HOSTS:
        assert leftovers(host, "vtest-mol") == ([], [], []), host
