"""A booted VM with what users add to the plain one: a virtiofs share, an extra NIC on a
second network, and their own cloud-config (user_data), each checked from inside the VM
over SSH with the pinned host key."""
from helpers.ansible_run import run_task
from helpers.ssh import run_ssh
from helpers.state import libvirt_state

VM = "virter.core.virter_vm"
NETWORK = "virter.core.virter_network"
EXTRA_NET = "vtest-extranet"


def ssh(vm, known_hosts, command):
    proc = run_ssh(vm["ssh_private_key_file"], known_hosts, f"{vm['user']}@{vm['ip']}", command)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_share_extra_nic_and_user_data(debian_image, tmp_path, libvirt_conn):
    share = tmp_path / "share"
    share.mkdir()
    (share / "hello.txt").write_text("from the host\n")
    missing = tmp_path / "made" / "by-the-module"  # virtiofs needs it: made as virter does (mkdir -p)
    before = libvirt_state(libvirt_conn)
    args = {"name": "vtest-feat", "image": debian_image, "virt_type": "qemu", "disk_cache": "unsafe",
            "mounts": [{"host": str(share), "vm": "/mnt/share"}, {"host": str(missing), "vm": "/mnt/made"}],
            "nics": [{"type": "network", "source": EXTRA_NET}],
            "user_data": {"write_files": [{"path": "/root/from-user-data", "content": "merged\n"}]}}
    try:
        made = run_task(NETWORK, {"name": EXTRA_NET, "cidr": "192.168.152.1/24", "forward_mode": "none"})
        assert made["changed"] and not made.get("failed"), made
        result = run_task(VM, args)
        assert result["changed"] and not result.get("failed"), result
        assert missing.is_dir()
        vm = result["vms"][0]
        known_hosts = tmp_path / "known_hosts"
        known_hosts.write_text(vm["known_hosts_line"] + "\n")
        inside = ssh(vm, known_hosts, "cat /mnt/share/hello.txt /root/from-user-data; findmnt -n -o FSTYPE /mnt/made; "
                                      "ip -4 -o addr show")
        assert "from the host" in inside and "merged" in inside and "virtiofs" in inside, inside
        assert " 192.168.152." in inside, inside  # the extra NIC took a DHCP lease there
        assert run_task(VM, args)["changed"] is False
    finally:
        run_task(VM, {"name": "vtest-feat", "state": "absent"})
        run_task(NETWORK, {"name": EXTRA_NET, "state": "absent"})
    assert libvirt_state(libvirt_conn) == before
