"""virter_vm with real VMs: a group of two booted under emulation, reached over SSH with
the pinned host keys by Ansible itself; stop and start; drift; removal that leaves nothing."""
import json
import subprocess

from helpers.ansible_run import four_step, run_task
from helpers.plays import reach_play
from helpers.state import libvirt_state

VM = "virter.core.virter_vm"
COMMON = {"image": "vtest-debian", "virt_type": "qemu", "disk_cache": "unsafe"}


def ansible_over_ssh(tmp_path, vms, known_hosts):
    """Ping and a command on every VM through Ansible's ssh connection, host keys pinned."""
    known = tmp_path / "known_hosts"
    known.write_text("".join(line + "\n" for line in known_hosts))
    inventory = {"all": {"hosts": {vm["name"]: {
        "ansible_host": vm["ip"],
        "ansible_user": vm["user"],
        "ansible_ssh_private_key_file": vm["ssh_private_key_file"],
        "ansible_ssh_common_args": f"-o StrictHostKeyChecking=yes -o UserKnownHostsFile={known} "
                                   "-o GlobalKnownHostsFile=/dev/null",
    } for vm in vms}}}
    (tmp_path / "inventory.json").write_text(json.dumps(inventory))
    play = reach_play(tmp_path / "reach.yml", "all")
    proc = subprocess.run(["ansible-playbook", "-i", str(tmp_path / "inventory.json"), str(play)],
                          capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_group_lifecycle(debian_image, tmp_path, libvirt_conn):
    before = libvirt_state(libvirt_conn)
    args = dict(COMMON, name="vtest-lab", count=2, console_dir=str(tmp_path / "console"))

    results = four_step(VM, args)
    assert [vm["id"] for vm in results[0]["vms"]] == [None, None]
    vms = results[1]["vms"]
    ids = [vm["id"] for vm in vms]
    assert len(set(ids)) == 2 and all(i >= 2 for i in ids)
    assert [vm["name"] for vm in vms] == [f"vtest-lab-{i}" for i in ids]
    assert all(vm["state"] == "running" and vm["group"] == "vtest-lab" for vm in vms)
    assert [vm["mac"] for vm in vms] == ["52:54:00:00:00:%02x" % i for i in ids]
    assert results[3]["vms"] == vms
    # RSA (what virter pins) and ed25519, which Ansible's ssh prefers when it knows both.
    assert all([line.split()[1] for line in vm["known_hosts_lines"]] == ["ssh-rsa", "ssh-ed25519"]
               and vm["known_hosts_lines"][0] == vm["known_hosts_line"] for vm in vms), vms
    assert sorted(results[1]["known_hosts"]) == sorted(line for vm in vms for line in vm["known_hosts_lines"])

    ansible_over_ssh(tmp_path, vms, results[1]["known_hosts"])

    # Drift that takes effect at the next boot is applied to the definition.
    grown = run_task(VM, dict(args, memory="1536M"))
    assert grown["changed"] and grown["reboot_needed"], grown
    assert not run_task(VM, dict(args, memory="1536M"))["changed"]
    # Drift that needs a new VM fails, naming the difference, and changes nothing.
    refused = run_task(VM, dict(args, memory="1536M", user="debian"))
    assert refused["failed"] and "user" in refused["msg"] and "recreate" in refused["msg"], refused

    # Stop and start one member.
    one = dict(COMMON, name=vms[0]["name"], memory="1536M", console_dir=args["console_dir"])
    stopped = run_task(VM, dict(one, state="stopped"))
    assert stopped["changed"] and stopped["vms"][0]["state"] == "stopped", stopped
    assert not run_task(VM, dict(one, state="stopped"))["changed"]
    started = run_task(VM, one)
    assert started["changed"] and started["vms"][0]["state"] == "running", started
    assert started["vms"][0]["known_hosts_lines"] == vms[0]["known_hosts_lines"]

    # Removal leaves no domain, volume or DHCP entry behind.
    four_step(VM, dict(args, count=0))
    assert libvirt_state(libvirt_conn) == before
