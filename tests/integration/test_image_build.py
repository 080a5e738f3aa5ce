"""The image_build role: provision a build VM over SSH, commit it, boot a VM from the
result; a failing provisioning step removes the build VM and leaves the base alone."""
import subprocess
import textwrap

import pytest

from helpers.ansible_run import run_task
from helpers.registry import Registry
from helpers.ssh import run_ssh
from helpers.state import libvirt_state

VM = "virter.core.virter_vm"
IMAGE = "virter.core.virter_image"
BASE = "vtest-build-base"
BUILT = "vtest-built"
GOOD = """\
- name: Marker file
  ansible.builtin.copy:
    content: "built by image_build\\n"
    dest: /root/marker
    mode: "0644"
"""
BAD = """\
- name: A step that fails
  ansible.builtin.command: sh -c 'echo provisioning-broke >&2; exit 3'
  changed_when: false
"""


@pytest.fixture
def base(guest_image_file, libvirt_conn):
    before = libvirt_state(libvirt_conn)
    assert not run_task(IMAGE, {"name": BASE, "path": str(guest_image_file)}).get("failed")
    yield BASE
    run_task(VM, {"name": "vtest-built-child", "state": "absent"})
    for image in (BUILT, BASE):
        run_task(IMAGE, {"name": image, "state": "absent"})
    assert libvirt_state(libvirt_conn) == before


def build(tmp_path, tasks, push_ref=""):
    (tmp_path / "provision.yml").write_text(tasks)
    play = tmp_path / "build.yml"
    play.write_text(textwrap.dedent(f"""\
        - name: Build an image
          hosts: localhost
          connection: local
          gather_facts: false
          roles:
            - role: virter.core.image_build
              vars:
                virter_image_build_name: {BUILT}
                virter_image_build_base: {BASE}
                virter_image_build_tasks: {tmp_path / "provision.yml"}
                virter_image_build_virt_type: qemu
                virter_image_build_push_ref: "{push_ref}"
                virter_image_build_vm_options:
                  disk_cache: unsafe
        """))
    return subprocess.run(["ansible-playbook", str(play)], capture_output=True, text=True, timeout=1200, check=False)


def test_failed_provisioning_removes_the_build_vm(base, tmp_path, libvirt_conn):
    base_top = run_task(IMAGE, {"name": base})["image"]["top_layer"]
    before = libvirt_state(libvirt_conn)
    failed = build(tmp_path, BAD)
    assert failed.returncode != 0
    assert "image_build of vtest-built failed in 'A step that fails'" in failed.stdout, failed.stdout
    assert "provisioning-broke" in failed.stdout, failed.stdout
    assert libvirt_state(libvirt_conn) == before
    assert run_task(IMAGE, {"name": base})["image"]["top_layer"] == base_top


def test_build_then_boot_from_the_image(base, tmp_path, registry):
    built = build(tmp_path, GOOD)
    assert built.returncode == 0, built.stdout + built.stderr
    image = run_task(IMAGE, {"name": BUILT})["image"]
    assert len(image["layers"]) == 2
    again = build(tmp_path, GOOD)
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout

    # A push asked for when the image exists (as after a run whose push failed) still
    # happens, without a build; then the registry has it and nothing is sent.
    reg = Registry(registry)
    push_ref = f"{reg.address}/lab/{BUILT}:1"
    pushed = build(tmp_path, GOOD, push_ref)
    assert pushed.returncode == 0 and "changed=1" in pushed.stdout, pushed.stdout + pushed.stderr
    assert "Build VM" not in pushed.stdout, pushed.stdout
    config = reg.config(f"lab/{BUILT}", "1")
    assert config["rootfs"]["diff_ids"] == image["layers"]
    pushed_again = build(tmp_path, GOOD, push_ref)
    assert pushed_again.returncode == 0 and "changed=0" in pushed_again.stdout, pushed_again.stdout

    child = run_task(VM, {"name": "vtest-built-child", "image": BUILT, "virt_type": "qemu", "disk_cache": "unsafe"})
    assert child["changed"] and not child.get("failed"), child
    vm = child["vms"][0]
    (tmp_path / "known_hosts").write_text(vm["known_hosts_line"] + "\n")
    seen = run_ssh(vm["ssh_private_key_file"], tmp_path / "known_hosts", f"root@{vm['ip']}",
                   "cat /root/marker; wc -c < /etc/machine-id")
    marker, machine_id_size = seen.stdout.strip().rsplit("\n", 1)
    assert marker == "built by image_build", seen.stdout + seen.stderr
    # The build VM's machine-id was emptied; systemd gave the new VM its own.
    assert int(machine_id_size) == 33
