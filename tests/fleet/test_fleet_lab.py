"""A lab of four VMs over the two simulated hypervisors of tools/fleet, driven from the
controller namespace as a user drives real hypervisors from a laptop: the modules run on
the hosts of the inventory group virter_hypervisors, the VMs are placed by the lab role's
rule and provisioned from the controller through their hypervisor, with strict host key
checking on both hops."""
import json
import textwrap

from fleet_helpers import changed, fleet_exec, inventories, leftovers

IMAGE = "vtest-fleet"
LAB = [
    {"name": "fl-web", "count": 2, "image": IMAGE, "memory": "512M"},
    {"name": "fl-db", "image": IMAGE, "memory": "512M"},
    {"name": "fl-cache", "image": IMAGE, "memory": "512M"},
]


def playbook(path):
    path.write_text(textwrap.dedent(f"""\
        - name: The lab, placed over the hypervisors
          hosts: localhost
          gather_facts: false
          module_defaults:
            virter.core.virter_vm:
              virt_type: qemu
          roles:
            - role: virter.core.lab
              vars:
                virter_lab_hypervisors: virter_hypervisors
                virter_lab_vms: {json.dumps(LAB)}
                virter_lab_known_hosts_file: {path.parent}/lab_known_hosts

        - name: Provisioned from the controller, through each VM's hypervisor
          hosts: virter_lab
          gather_facts: false
          tasks:
            - name: A file written over SSH
              ansible.builtin.copy:
                content: "on {{{{ virter_hypervisor }}}}\\n"
                dest: /root/placed
                mode: "0644"
            - name: The VM is who it claims to be
              ansible.builtin.command: hostname
              register: hostname
              changed_when: false
              check_mode: false  # it only reads
            - name: Its name and hypervisor
              ansible.builtin.assert:
                that:
                  - hostname.stdout == inventory_hostname
                  - virter_hypervisor == ('hv1' if inventory_hostname.startswith('fl-web-') else 'hv2')
                fail_msg: "{{{{ inventory_hostname }}}}: hostname {{{{ hostname.stdout }}}}, on {{{{ virter_hypervisor }}}}"
        """))
    return path


def run(tmp_path, inventory, state="present", check=False):
    """The playbook from the controller namespace; its stdout."""
    book = playbook(tmp_path / "lab.yml")
    cmd = ["ansible-playbook", *inventories(tmp_path, inventory), str(book), "-e", "virter_lab_state=" + state]
    if check:
        cmd.append("--check")
    proc = fleet_exec("controller", cmd)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def domains(host):
    return leftovers(host, "fl-")[0]


def test_a_lab_over_two_hypervisors(fleet, guest_image_file, tmp_path):
    # Not a step of the lab: check mode cannot make VMs of an image it did not import.
    imported = fleet_exec("controller", ["ansible", *inventories(tmp_path, fleet), "virter_hypervisors", "-m",
                                         "virter.core.virter_image", "-a", f"name={IMAGE} path={guest_image_file}"])
    assert imported.returncode == 0, imported.stdout + imported.stderr
    try:
        steps = [run(tmp_path, fleet, check=check) for check in (True, False, True, False)]
        assert [changed(out) > 0 for out in steps] == [True, True, False, False], steps
        # By the rule: the group of two on the first host, the next two on the second.
        assert domains("hv1") == ["fl-web-2", "fl-web-3"] and domains("hv2") == ["fl-cache", "fl-db"]
        known = (tmp_path / "lab_known_hosts").read_text().splitlines()
        assert len(known) == 8  # four VMs, RSA and ed25519 each
    finally:
        run(tmp_path, fleet, state="absent")
    for host in ("hv1", "hv2"):
        assert leftovers(host, "fl-") == ([], [], []), host
