"""The modules driven from the controller with qemu+ssh:// URIs (image import, network,
VMs), no inventory host for the
hypervisors (libvirt's remote protocol and streams do the work), and the inventory plugin
over the fleet's two URIs: VMs of both hosts reached through their hypervisor, host keys
pinned on both hops, proven by `ansible -m ping`."""
import json
import re
import textwrap

import pytest

from fleet_helpers import HOSTS, changed, fleet_exec, leftovers, uri, virsh

IMAGE = "vtest-fleet-uri"
NETWORK = "fl-uri-net"


def controller(*cmd, check=True, env=None):
    proc = fleet_exec("controller", list(cmd), env=env)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def playbook(tmp_path, state="running"):
    """A VM on hv1's default network and one on a network of hv2's, from localhost."""
    path = tmp_path / "uri.yml"
    path.write_text(textwrap.dedent(f"""\
        - name: VMs on two remote hypervisors, by URI
          hosts: localhost
          gather_facts: false
          module_defaults:
            virter.core.virter_vm:
              image: {IMAGE}
              memory: 512M
              virt_type: qemu
              wait_for: ready
          tasks:
            - name: A VM on hv1
              virter.core.virter_vm:
                name: fl-uri-a
                uri: "{uri('hv1')}"
                state: {state}
            - name: A VM on hv2
              virter.core.virter_vm:
                name: fl-uri-b
                uri: "{uri('hv2')}"
                network: {NETWORK}
                state: {state}
        """))
    return path


def network(state):
    controller("ansible", "localhost", "-m", "virter.core.virter_network", "-a", json.dumps(
        {"name": NETWORK, "uri": uri("hv2"), "cidr": "192.168.231.1/24", "state": state}))


def run(tmp_path, state="running", check=False):
    cmd = ["ansible-playbook", str(playbook(tmp_path, state))]
    return controller(*cmd, *(["--check"] if check else [])).stdout


@pytest.fixture(scope="module")
def images(fleet, guest_image_file, tmp_path_factory):
    """The guest image on both hosts, uploaded from the controller through libvirt's streams."""
    for host in HOSTS:
        controller("ansible", "localhost", "-m", "virter.core.virter_image",
                   "-a", json.dumps({"name": IMAGE, "path": guest_image_file, "uri": uri(host)}))
    yield
    for host in HOSTS:
        controller("ansible", "localhost", "-m", "virter.core.virter_image",
                   "-a", json.dumps({"name": IMAGE, "state": "absent", "uri": uri(host)}))


@pytest.fixture(scope="module")
def vms(images, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("uri")
    network("present")
    steps = [run(tmp_path, check=check) for check in (True, False, True, False)]
    yield steps
    run(tmp_path, state="absent")
    assert leftovers("hv1", "fl-uri-") == ([], [], [])
    assert leftovers("hv2", "fl-uri-", NETWORK) == ([], [], [])
    network("absent")
    assert NETWORK not in virsh("hv2", "net-list", "--all", "--name").split()


def test_image_network_and_vms_through_the_uri_four_step(vms):
    assert [changed(out) > 0 for out in vms] == [True, True, False, False], vms
    for host in HOSTS:
        assert f"virter:tag:{IMAGE}" in virsh(host, "vol-list", "default"), host
    assert virsh("hv1", "list", "--name").split() == ["fl-uri-a"]
    assert virsh("hv2", "list", "--name").split() == ["fl-uri-b"]
    assert "192.168.231." in virsh("hv2", "net-dumpxml", NETWORK)


def test_the_inventory_plugin_reaches_vms_of_both_uris(vms, tmp_path):
    source = tmp_path / "fleet.virter.yml"
    source.write_text(json.dumps({"plugin": "virter.core.virter", "uri": [uri(h) for h in HOSTS],
                                  "filters": {"name": "fl-uri-*"},
                                  "known_hosts_file": str(tmp_path / "known_hosts")}))
    env = {"ANSIBLE_HOST_KEY_CHECKING": "True"}
    ping = controller("ansible", "-i", str(source), "all", "-m", "ping", env=env).stdout
    for vm in ("fl-uri-a", "fl-uri-b"):
        assert re.search(rf"^{vm} \| SUCCESS", ping, re.M), ping
    names = controller("ansible", "-i", str(source), "all", "-m", "command", "-a", "hostname",
                       env=env).stdout
    for vm in ("fl-uri-a", "fl-uri-b"):
        assert re.search(rf"^{vm} \| CHANGED \| rc=0 >>\n{vm}$", names, re.M), names
    # The VMs' keys are checked under their names: a wrong key there refuses the login.
    known = (tmp_path / "known_hosts").read_text()
    assert re.search(r"^\S*\bfl-uri-a\b\S* ssh-ed25519 ", known, re.M), known
    hostvars = json.loads(controller("ansible-inventory", "-i", str(source), "--list").stdout)
    args = hostvars["_meta"]["hostvars"]["fl-uri-a"]["ansible_ssh_common_args"]
    args = args.get("__ansible_unsafe", args) if isinstance(args, dict) else args  # as --list prints it
    assert "HostKeyAlias=fl-uri-a" in args and "ProxyCommand=" in args
    lines = known.splitlines()
    (tmp_path / "swapped").write_text("".join(f"{a.split()[0]} {' '.join(b.split()[1:])}\n"
                                              for a, b in zip(lines, lines[::-1])))
    wrong = {"ansible_ssh_common_args": args.replace(str(tmp_path / "known_hosts"), str(tmp_path / "swapped"))}
    refused = controller("ansible", "-i", str(source), "fl-uri-a", "-m", "ping", "-e", json.dumps(wrong),
                         check=False, env={**env, "ANSIBLE_SSH_ARGS": "-o ControlMaster=no -o ControlPath=none"})
    assert refused.returncode != 0 and "Host key verification failed" in refused.stdout + refused.stderr
