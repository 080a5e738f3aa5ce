"""Running things in the fleet of tools/fleet, from the tests."""
import json
import re
import subprocess
import sys
from pathlib import Path

FLEET = str(Path(__file__).resolve().parents[2] / "tools" / "fleet")
INVENTORY = Path("/run/virter-fleet/inventory.yml")
HOSTS = ("hv1", "hv2")


def fleet_exec(host, cmd, timeout=1800, env=None):
    """CMD inside the fleet's `host` (hv1, hv2 or controller)."""
    prefix = ["env", *(f"{key}={value}" for key, value in env.items())] if env else []
    return subprocess.run([FLEET, "exec", host, *prefix, *cmd], capture_output=True, text=True, timeout=timeout,
                          check=False)


def inventories(tmp_path, inventory=INVENTORY):
    """The fleet's inventory, and the modules' Python on its hosts: they share this
    machine's files, and the venv's Python has the modules' libraries."""
    python = tmp_path / "python.yml"
    python.write_text(json.dumps({"virter_hypervisors": {"hosts": {
        host: {"ansible_python_interpreter": sys.executable} for host in HOSTS}}}))
    return ["-i", str(inventory), "-i", str(python)]


def uri(host):
    """The host's libvirt URI as the controller reaches it (qemu+ssh, its key pinned)."""
    text = INVENTORY.read_text()
    return re.search(rf"^    {host}:\n(?:      .*\n)*?      virter_fleet_uri: \"([^\"]+)\"", text, re.M).group(1)


def changed(stdout):
    """The sum of changed= of a playbook's recap."""
    return sum(int(n) for n in re.findall(r"changed=(\d+)", stdout))


def virsh(host, *args):
    """virsh on the host's own libvirtd; its stdout."""
    return fleet_exec(host, ["virsh", "-q", "-c", "qemu:///system", *args]).stdout


def leftovers(host, prefix, network="default"):
    """The host's domains, work volumes and DHCP host entries named `prefix`*."""
    doms = sorted(name for name in virsh(host, "list", "--all", "--name").split() if name.startswith(prefix))
    vols = [v for v in virsh(host, "vol-list", "default").split() if v.startswith("virter:work:" + prefix)]
    hosts = [h for h in re.findall(r"<host [^>]*>", virsh(host, "net-dumpxml", network)) if f"name='{prefix}" in h]
    return doms, vols, hosts
