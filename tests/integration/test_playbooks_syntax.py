"""Syntax of the collection's playbooks and of a play applying virter.core.libvirt_host.
The libvirt_host role is checked this way and by ansible-lint only: running it here would
install packages and start a libvirtd outside the sandbox."""
import subprocess
import textwrap

import pytest


def syntax_check(playbook):
    proc = subprocess.run(["ansible-playbook", "--syntax-check", str(playbook)],
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("playbook", ["lab_up", "lab_down", "provision", "create", "destroy"])
def test_collection_playbook(playbook):
    syntax_check(f"virter.core.{playbook}")


def test_libvirt_host_role(tmp_path):
    play = tmp_path / "hypervisor.yml"
    play.write_text(textwrap.dedent("""\
        - name: A hypervisor for virter.core
          hosts: hypervisors
          become: true
          roles:
            - role: virter.core.libvirt_host
              vars:
                virter_libvirt_host_pool_path: /srv/libvirt/pool
        """))
    syntax_check(play)
