"""A play's module_defaults reach the modules the roles call: the lab role puts a booted VM
on the access network and with the virt_type that only module_defaults name, and tears it
down with them; image_build passes every key of virter_image_build_vm_options and the
play's module_defaults to the build VM, and refuses keys that are no build VM option before
anything is made."""
import re

import pytest
import yaml
from lxml import etree

from helpers.ansible_run import PlaybookFailed, run_playbook, run_task
from helpers.plays import reach_play
from helpers.state import libvirt_state, only

PREFIX = "vtest-md"
NET = "vtest-md-net"
VM = "vtest-md-lab"
DEFAULTS = {
    # Only options that every module of the group takes go into the group's defaults.
    "group/virter.core.virter": {"network": NET},
    "virter.core.virter_vm": {"virt_type": "qemu", "disk_cache": "unsafe"},
}


def changes(stdout):
    """The `changed` counts of the PLAY RECAP of a run, one per host."""
    return [int(n) for n in re.findall(r"changed=(\d+)", stdout.split("PLAY RECAP", 1)[1])]


def play(path, role, role_vars, module_defaults, after=""):
    path.write_text(yaml.safe_dump([{
        "name": f"{role} under module_defaults",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "module_defaults": module_defaults,
        "roles": [{"role": role, "vars": role_vars}],
    }]) + after)
    return path


def test_lab_role_honours_module_defaults(debian_image, tmp_path, libvirt_conn):
    known_hosts = tmp_path / "known_hosts"
    lab_vars = {"virter_lab_vms": [{"name": VM, "image": debian_image, "memory": "512M"}],
                "virter_lab_known_hosts_file": str(known_hosts)}
    up = play(tmp_path / "up.yml", "virter.core.lab", lab_vars, DEFAULTS,
              after=reach_play(tmp_path / "reach.yml", "virter_lab").read_text())
    down = play(tmp_path / "down.yml", "virter.core.lab", {**lab_vars, "virter_lab_state": "absent"}, DEFAULTS)
    before = only(libvirt_state(libvirt_conn), PREFIX)
    made = run_task("virter.core.virter_network", {"name": NET, "cidr": "192.168.160.1/24", "forward_mode": "none"})
    assert made["changed"] and not made.get("failed"), made
    try:
        first = run_playbook(up)
        assert sum(changes(first.stdout)) > 0, first.stdout
        dom = etree.fromstring(libvirt_conn.lookupByName(VM).XMLDesc(0))
        assert dom.get("type") == "qemu"
        assert dom.find("devices/interface/source").get("network") == NET
        memory = dom.find("memory")
        assert (memory.get("unit"), memory.text) == ("KiB", str(512 * 1024))
        assert known_hosts.read_text().startswith("192.168.160."), known_hosts.read_text()
        # The DHCP host entry is on NET, none on the default network.
        assert [h[2] for h in libvirt_state(libvirt_conn, network=NET)["hosts"]] == [VM]
        assert only(libvirt_state(libvirt_conn), PREFIX)["hosts"] == []
        again = run_playbook(up)
        assert changes(again.stdout) == [0, 0], again.stdout
    finally:
        try:
            removed = run_playbook(down)
        finally:
            gone = run_task("virter.core.virter_network", {"name": NET, "state": "absent"})
    assert sum(changes(removed.stdout)) > 0, removed.stdout
    assert gone["changed"] and not gone.get("failed"), gone
    assert only(libvirt_state(libvirt_conn), PREFIX) == before


@pytest.mark.parametrize("vm_options, module_defaults, message", [
    ({"nics": [], "bogus": 1, "state": "stopped"}, {},
     "virter_image_build_vm_options: unsupported key(s) bogus, state; it takes the options of"),
    # The base is a registry image that is not there: without these the build VM's task
    # would fail on the pull. pull_policy was dropped by the role; module_defaults were
    # hidden behind its own virt_type and pool (omit).
    ({"pull_policy": "Never"}, {}, "pull_policy is Never"),
    ({}, {"virter.core.virter_vm": {"virt_type": "bogus"}},
     "failed in 'Check that every entry of the lab can be made, before anything is made': virter_lab_vms[0] "
     f"({PREFIX}-built-build on localhost): value of virt_type must be one of"),
    ({}, {"group/virter.core.virter": {"pool": f"{PREFIX}-nopool"}}, f"storage pool {PREFIX}-nopool does not exist"),
])
def test_image_build_vm_options_reach_virter_vm_or_fail_before_anything_is_made(
        vm_options, module_defaults, message, tmp_path, libvirt_conn):
    (tmp_path / "provision.yml").write_text("[]\n")
    build_vars = {"virter_image_build_name": f"{PREFIX}-built",
                  "virter_image_build_base": f"localhost:1/lab/{PREFIX}-missing:1",
                  "virter_image_build_tasks": str(tmp_path / "provision.yml"),
                  "virter_image_build_vm_options": vm_options}
    before = only(libvirt_state(libvirt_conn), PREFIX)
    with pytest.raises(PlaybookFailed) as failed:
        run_playbook(play(tmp_path / "build.yml", "virter.core.image_build", build_vars, module_defaults))
    assert message in str(failed.value), str(failed.value)
    assert only(libvirt_state(libvirt_conn), PREFIX) == before
