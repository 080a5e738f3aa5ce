"""The lab role on two booted VMs (one single VM, one group of one), started together:
reached through the role's in-memory groups and through the inventory plugin, with
pinned host keys that are really checked; an idempotent rerun; a teardown that leaves
nothing; and an entry without an image that fails before anything is made."""
import json
import os
import re
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml

from ansible_collections.virter.core.plugins.module_utils import _ansible_module
from ansible_collections.virter.core.plugins.module_utils.vm import options as vm_options

from helpers.ansible_run import PlaybookFailed, run_playbook, run_task
from helpers.inventory import list_inventory
from helpers.plays import reach_play
from helpers.state import libvirt_state, only

PREFIX = "vtest-lab-role"
IMAGE = PREFIX + "-debian"
# No SSH connection sharing: every connection checks the host key against its own file.
NO_MUX = {"ANSIBLE_SSH_ARGS": "-o ControlMaster=no -o ControlPath=none"}
VMS = [
    {"name": "vtest-lab-role-one", "image": IMAGE, "memory": "1G", "disk_cache": "unsafe"},
    {"name": "vtest-lab-role-grp", "image": IMAGE, "count": 1, "group": "vtest_lab_role_grp", "disk_cache": "unsafe"},
]


@pytest.fixture(scope="module")
def lab_image(guest_image_file):
    result = run_task("virter.core.virter_image", {"name": IMAGE, "path": str(guest_image_file)})
    assert not result.get("failed"), result
    yield IMAGE
    run_task("virter.core.virter_image", {"name": IMAGE, "state": "absent"})


def recap(stdout):
    """{host: {ok: n, changed: n, ...}} from the PLAY RECAP of a run."""
    tail = stdout.split("PLAY RECAP", 1)[1]
    return {host: dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", counts))
            for host, counts in re.findall(r"^(\S+)\s+:\s+(.*)$", tail, re.M)}


def test_lab_role(lab_image, tmp_path, libvirt_conn):
    known_hosts = tmp_path / "lab_known_hosts"
    lab_vars = {"virter_lab_vms": VMS, "virter_lab_virt_type": "qemu", "virter_lab_known_hosts_file": str(known_hosts)}
    up = tmp_path / "up.yml"
    up.write_text(yaml.safe_dump([{"name": "Lab up", "ansible.builtin.import_playbook": "virter.core.lab_up"}])
                  + reach_play(tmp_path / "reach.yml", "virter_lab").read_text()
                  + textwrap.dedent("""\
                      - name: Groups of the entries
                        hosts: localhost
                        gather_facts: false
                        tasks:
                          - name: One group per entry, named after it (made a valid name) or its `group`
                            ansible.builtin.assert:
                              that:
                                - groups['vtest_lab_role_one'] == ['vtest-lab-role-one']
                                - groups['vtest_lab_role_grp'] | length == 1
                                - groups['vtest_lab_role_grp'][0] is match('vtest-lab-role-grp-[0-9]+$')
                                - groups['virter_lab'] | length == 2
                          - name: Modules on the VMs run pipelined (one SSH round trip each), as the reach play did
                            ansible.builtin.assert:
                              that: groups['virter_lab'] | map('extract', hostvars, 'ansible_pipelining') | list == [true, true]
                      """))
    before = only(libvirt_state(libvirt_conn), PREFIX)
    try:
        first = run_playbook(up, lab_vars, env=NO_MUX)
        assert recap(first.stdout)["localhost"]["changed"] > 0, first.stdout
        again = run_playbook(up, lab_vars, env=NO_MUX)
        assert all(counts["changed"] == 0 for counts in recap(again.stdout).values()), again.stdout
        assert known_hosts.stat().st_mode & 0o777 == 0o600
        lines = sorted(known_hosts.read_text().splitlines())
        assert len(lines) == 4  # two VMs, RSA and ed25519 each

        hostvars = through_inventory_plugin(tmp_path, lines)
        pinned_keys_are_checked(tmp_path, hostvars)
    finally:
        down = run_playbook("virter.core.lab_down", lab_vars)
    assert recap(down.stdout)["localhost"]["changed"] > 0, down.stdout
    again = run_playbook("virter.core.lab_down", lab_vars)
    assert recap(again.stdout)["localhost"]["changed"] == 0, again.stdout
    assert not known_hosts.exists()
    assert only(libvirt_state(libvirt_conn), PREFIX) == before


def through_inventory_plugin(tmp_path, lab_lines):
    """The lab's VMs as the inventory plugin lists them, and a play over that inventory."""
    source = tmp_path / "lab.virter.yml"
    source.write_text(yaml.safe_dump({
        "plugin": "virter.core.virter",
        "filters": {"name": "vtest-lab-role-*"},
        "known_hosts_file": str(tmp_path / "inventory_known_hosts"),
        "keyed_groups": [{"key": "virter_image", "prefix": "image"}],
    }))
    inventory = list_inventory(source)
    hostvars = inventory["_meta"]["hostvars"]
    assert sorted(hostvars) == sorted(set(line.split(",")[1].split()[0] for line in lab_lines))
    assert sorted(inventory[f"image_{IMAGE.replace('-', '_')}"]["hosts"]) == sorted(hostvars)
    for line in lab_lines:
        ip, name = line.split()[0].split(",")[:2]
        assert hostvars[name]["ansible_host"] == ip
        assert hostvars[name]["virter_state"] == "running"
        assert "StrictHostKeyChecking=yes" in hostvars[name]["ansible_ssh_common_args"]
        assert hostvars[name]["ansible_pipelining"] is True
    assert sorted((tmp_path / "inventory_known_hosts").read_text().splitlines()) == lab_lines
    proc = subprocess.run(["ansible-playbook", "-i", str(source), str(reach_play(tmp_path / "reach_all.yml", "all"))],
                          capture_output=True, text=True, check=False, timeout=300, env=dict(os.environ, **NO_MUX))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return hostvars


def pinned_keys_are_checked(tmp_path, hostvars):
    """With each VM's line carrying the other VM's host key, SSH refuses both."""
    real = tmp_path / "inventory_known_hosts"
    lines = real.read_text().splitlines()
    hosts = [line.split(" ", 1)[0] for line in lines]
    keys = [line.split(" ", 1)[1] for line in lines]
    swapped = tmp_path / "swapped_known_hosts"
    swapped.write_text("".join(f"{host} {key}\n" for host, key in zip(hosts, reversed(keys))))
    inventory = {"all": {"hosts": {name: dict(
        (key, value.replace(str(real), str(swapped)) if isinstance(value, str) else value)
        for key, value in hv.items()) for name, hv in hostvars.items()}}}
    (tmp_path / "swapped.json").write_text(json.dumps(inventory))
    proc = subprocess.run(["ansible", "-i", str(tmp_path / "swapped.json"), "all", "-m", "ansible.builtin.ping"],
                          capture_output=True, text=True, check=False, timeout=120, env=dict(os.environ, **NO_MUX))
    assert proc.returncode != 0, proc.stdout
    assert proc.stdout.count("UNREACHABLE") == 2, proc.stdout
    assert "Host key verification failed" in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_entry_without_image_fails_before_anything_is_made(tmp_path, libvirt_conn):
    before = only(libvirt_state(libvirt_conn), PREFIX)
    bad = {"virter_lab_vms": [{"name": "vtest-lab-role-ok", "image": IMAGE}, {"name": "vtest-lab-role-bad", "memory": "1G"}],
           "virter_lab_known_hosts_file": str(tmp_path / "known_hosts")}
    with pytest.raises(PlaybookFailed) as failed:
        run_playbook("virter.core.lab_up", bad)
    assert "virter_lab_vms[1] (vtest-lab-role-bad): every entry needs `name` and `image`" in str(failed.value)
    assert only(libvirt_state(libvirt_conn), PREFIX) == before
    assert not (tmp_path / "known_hosts").exists()


def test_entry_keys_are_the_options_of_virter_vm():
    """The lab role takes every option of virter_vm but `state`, image_build's
    virter_image_build_vm_options all but those it sets itself and `count` (their
    vars/main.yml list them), and neither takes `vms` (an entry is one VM or group): an
    option added to the module (its option table, module_utils/vm/options.py) without the
    roles fails here."""
    doc = subprocess.run(["ansible-doc", "-j", "virter.core.virter_vm"], capture_output=True, text=True,
                         check=True, timeout=120)
    options = set(json.loads(doc.stdout)["virter.core.virter_vm"]["doc"]["options"])
    table = set(vm_options.argument_spec()) | set(_ansible_module.COMMON_ARGUMENT_SPEC) | set(
        _ansible_module.REGISTRY_ARGUMENT_SPEC)
    assert sorted(options) == sorted(table)
    roles = Path(__file__).resolve().parents[2] / "roles"
    listed = yaml.safe_load((roles / "lab" / "vars" / "main.yml").read_text())["virter_lab_vm_keys"]
    assert sorted(listed) == sorted(options - {"state", "vms"})
    listed = yaml.safe_load((roles / "image_build" / "vars" / "main.yml").read_text())["virter_image_build_vm_keys"]
    assert sorted(listed) == sorted(options - {"name", "image", "state", "wait_for", "count", "vms"})


def test_entry_keys_reach_virter_vm_or_fail_before_anything_is_made(tmp_path, libvirt_conn):
    """Options the role does not use itself reach the module (pull_policy,
    registry_tls_verify); a key that is no option fails before any VM is made."""
    before = only(libvirt_state(libvirt_conn), PREFIX)
    ok = {"name": "vtest-lab-role-ok", "image": IMAGE}
    missing = {"name": "vtest-lab-role-pull", "image": "localhost:1/lab/vtest-lab-role-missing:1"}
    cases = [
        ([{**missing, "pull_policy": "Never"}], "pull_policy is Never"),
        ([{**missing, "registry_tls_verify": "maybe"}], "argument 'registry_tls_verify' is of type"),
        ([ok, {**missing, "pull_polcy": "Never", "state": "stopped"}],
         "virter_lab_vms[1] (vtest-lab-role-pull): unsupported key(s) pull_polcy, state"),
    ]
    for vms, message in cases:
        with pytest.raises(PlaybookFailed) as failed:
            run_playbook("virter.core.lab_up", {"virter_lab_vms": vms,
                                                "virter_lab_known_hosts_file": str(tmp_path / "known_hosts")})
        assert message in str(failed.value), str(failed.value)
        assert only(libvirt_state(libvirt_conn), PREFIX) == before
    assert not (tmp_path / "known_hosts").exists()


def test_every_entry_is_checked_before_anything_is_made(tiny_image, tmp_path, libvirt_conn):
    """A bad entry after good ones (a second entry of one name, an image that is neither in
    the pool nor pullable) fails the role before the first VM is made."""
    before = only(libvirt_state(libvirt_conn), PREFIX)
    ok = {"name": "vtest-lab-role-first", "image": tiny_image, "virt_type": "qemu", "disk_cache": "unsafe"}
    cases = [
        ([ok, {**ok, "memory": "2G"}], "several entries named vtest-lab-role-first"),
        ([ok, {**ok, "name": "vtest-lab-role-grp", "count": 2},
          {**ok, "name": "vtest-lab-role-local", "image": "vtest-lab-role-nowhere"}],
         "virter_lab_vms[2] (vtest-lab-role-local on localhost): image vtest-lab-role-nowhere is not in storage "
         "pool default"),
        ([ok, {**ok, "name": "vtest-lab-role-ref", "image": "localhost:1/lab/vtest-lab-role-nowhere:1"}],
         "virter_lab_vms[1] (vtest-lab-role-ref on localhost): cannot reach registry localhost:1"),
    ]
    lab_vars = {"virter_lab_known_hosts_file": str(tmp_path / "known_hosts")}
    try:
        for vms, message in cases:
            with pytest.raises(PlaybookFailed) as failed:
                run_playbook("virter.core.lab_up", {**lab_vars, "virter_lab_vms": vms})
            assert message in str(failed.value), str(failed.value)
            # The good entries passed the check (a group too): only the bad one is named.
            assert "virter_lab_vms[0] (" not in str(failed.value), str(failed.value)
            assert only(libvirt_state(libvirt_conn), PREFIX) == before
        assert not (tmp_path / "known_hosts").exists()
    finally:
        entries = dict((vm["name"], vm) for vms, _message in cases for vm in vms)
        run_playbook("virter.core.lab_down", {**lab_vars, "virter_lab_vms": list(entries.values())})
