"""The inventory plugin over VMs virter_vm made and never booted: `ansible-inventory --list`
with and without include_stopped, and two sources with their own known_hosts files.
(Running VMs: test_lab.py.)"""
import json
from pathlib import Path

import yaml

from helpers.ansible_run import run_task
from helpers.inventory import list_inventory, plain, run_inventory

VM = "virter.core.virter_vm"


def write_source(source, **options):
    source.write_text(yaml.safe_dump(dict({
        "plugin": "virter.core.virter",
        "filters": {"group": "vtest-inv"},
        "keyed_groups": [{"key": "virter_image", "prefix": "image"}],
        "compose": {"vm_label": "virter_name ~ '#' ~ virter_id"},
    }, **options)))


def inventory(tmp_path, **options):
    source = tmp_path / "vms.virter.yml"
    write_source(source, **dict({"known_hosts_file": str(tmp_path / "known_hosts")}, **options))
    return list_inventory(source)


def test_stopped_vms(tiny_image, tmp_path):
    args = {"name": "vtest-inv", "count": 2, "image": tiny_image, "state": "stopped",
            "virt_type": "qemu", "disk_cache": "unsafe"}
    made = run_task(VM, args)
    assert made["changed"] and not made.get("failed"), made
    try:
        vms = dict((vm["name"], vm) for vm in made["vms"])

        listed = inventory(tmp_path, include_stopped=True)
        hostvars = listed["_meta"]["hostvars"]
        assert sorted(hostvars) == sorted(vms)
        assert sorted(listed["virter_stopped"]["hosts"]) == sorted(vms)
        assert sorted(listed["image_vtest_tiny"]["hosts"]) == sorted(vms)
        for name, vm in vms.items():
            host = hostvars[name]
            assert "ansible_host" not in host
            assert host["virter_state"] == "stopped"
            assert (host["virter_id"], host["virter_image"], host["virter_group"]) == (vm["id"], tiny_image, "vtest-inv")
            assert host["ansible_user"] == vm["user"] == "root"
            assert host["ansible_ssh_private_key_file"] == vm["ssh_private_key_file"]
            assert host["vm_label"] == f"{name}#{vm['id']}"
            assert "StrictHostKeyChecking=yes" in host["ansible_ssh_common_args"]
            assert f"UserKnownHostsFile={tmp_path / 'known_hosts'}" in host["ansible_ssh_common_args"]
        assert (tmp_path / "known_hosts").stat().st_mode & 0o777 == 0o600

        running_only = inventory(tmp_path)
        assert running_only["_meta"]["hostvars"] == {}

        # A misspelt filter key would match every VM: the source is refused instead.
        source = tmp_path / "bad.virter.yml"
        write_source(source, include_stopped=True, filters={"group": "vtest-inv", "colour": "blue"})
        refused = run_inventory(source, env={"ANSIBLE_INVENTORY_UNPARSED_FAILED": "true"})
        assert refused.returncode != 0 and "unknown filter colour" in refused.stderr, refused.stderr
        assert plain(json.loads(run_inventory(source).stdout))["_meta"]["hostvars"] == {}
    finally:
        gone = run_task(VM, dict(args, count=0))
    assert gone["changed"] and not gone.get("failed"), gone
    assert inventory(tmp_path, include_stopped=True)["_meta"]["hostvars"] == {}


def test_two_sources_keep_their_own_known_hosts(tiny_image, tmp_path, monkeypatch):
    """Two sources in one inventory directory, one VM each, with the default known_hosts
    file: parsing the second leaves the first one's pinned key in place."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    args = {"name": "vtest-inv-two", "count": 2, "image": tiny_image, "state": "stopped",
            "virt_type": "qemu", "disk_cache": "unsafe"}
    made = run_task(VM, args)
    assert made["changed"] and not made.get("failed"), made
    try:
        sources = tmp_path / "inventory"
        sources.mkdir()
        for vm in made["vms"]:
            write_source(sources / f"{vm['name']}.virter.yml", include_stopped=True,
                         filters={"group": "vtest-inv-two", "name": vm["name"]})
        hostvars = list_inventory(sources)["_meta"]["hostvars"]
        assert sorted(hostvars) == sorted(vm["name"] for vm in made["vms"])
        files = set()
        for vm in made["vms"]:
            ssh_args = hostvars[vm["name"]]["ansible_ssh_common_args"]
            known_hosts = Path(ssh_args.split("UserKnownHostsFile=", 1)[1].split()[0])
            assert known_hosts.parent == tmp_path / "cache" / "virter-core"
            assert len(vm["known_hosts_lines"]) == 2 and known_hosts.read_text().splitlines() == vm["known_hosts_lines"]
            assert known_hosts.stat().st_mode & 0o777 == 0o600
            files.add(known_hosts)
        assert len(files) == 2
    finally:
        gone = run_task(VM, dict(args, count=0))
    assert gone["changed"] and not gone.get("failed"), gone
