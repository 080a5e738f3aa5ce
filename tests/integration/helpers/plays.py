"""Small playbooks the integration tests run against VMs."""
import textwrap


def reach_play(path, hosts):
    """Ping, then the VM's hostname must be its inventory name."""
    path.write_text(textwrap.dedent(f"""\
        - name: Reach the lab
          hosts: {hosts}
          gather_facts: false
          tasks:
            - name: Ping
              ansible.builtin.ping:
            - name: Hostname
              ansible.builtin.command: hostname
              register: hostname
              changed_when: false
            - name: The VM is who it claims to be
              ansible.builtin.assert:
                that: hostname.stdout == inventory_hostname
        """))
    return path
