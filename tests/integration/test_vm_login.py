"""Login survives the user's cloud-config: a VM whose user_data declares its SSH user in
`users`, turns root's login off and asks cloud-init to delete and generate host keys is
still reached as that user with the collection's key, and its RSA and ed25519 host keys
are both pinned."""
from helpers.ansible_run import run_task
from helpers.ssh import run_ssh
from helpers.state import libvirt_state

VM = "virter.core.virter_vm"
VM_INFO = "virter.core.virter_vm_info"
ALGORITHMS = {"ssh-rsa": "rsa-sha2-512,rsa-sha2-256", "ssh-ed25519": "ssh-ed25519"}


def ssh(vm, known_hosts, user, algorithms):
    """`id -un` as `user`, accepting only the host key algorithms given."""
    return run_ssh(vm["ssh_private_key_file"], known_hosts, f"{user}@{vm['ip']}", "id -un",
                   options=[f"HostKeyAlgorithms={algorithms}"])


def test_user_entry_disable_root_and_host_key_options_keep_the_pinned_login(debian_image, tmp_path, libvirt_conn):
    before = libvirt_state(libvirt_conn)
    args = {"name": "vtest-login", "image": debian_image, "virt_type": "qemu", "disk_cache": "unsafe", "user": "lab",
            "user_data": {"users": [{"name": "lab", "shell": "/bin/bash"}], "disable_root": True,
                          "ssh_deletekeys": True, "ssh_genkeytypes": ["rsa", "ecdsa", "ed25519"]}}
    try:
        # wait_for: ready logs in as lab with the pinned keys before the task returns.
        result = run_task(VM, args)
        assert result["changed"] and not result.get("failed"), result
        vm = result["vms"][0]
        lines = vm["known_hosts_lines"]
        assert [line.split()[1] for line in lines] == ["ssh-rsa", "ssh-ed25519"], lines
        assert lines[0] == vm["known_hosts_line"] and result["known_hosts"] == lines
        assert run_task(VM_INFO, {"name": "vtest-login"})["vms"][0]["known_hosts_lines"] == lines

        for line in lines:
            known_hosts = tmp_path / "known_hosts"
            known_hosts.write_text(line + "\n")
            login = ssh(vm, known_hosts, "lab", ALGORITHMS[line.split()[1]])
            assert login.returncode == 0 and login.stdout.strip() == "lab", (line, login.stdout + login.stderr)
        # The user's disable_root is honoured: root's key only says whom to log in as.
        root = ssh(vm, known_hosts, "root", "ssh-ed25519")
        assert root.returncode == 142 and "Please login as the user" in root.stdout, root.stdout + root.stderr
        assert run_task(VM, args)["changed"] is False
    finally:
        run_task(VM, {"name": "vtest-login", "state": "absent"})
    assert libvirt_state(libvirt_conn) == before
