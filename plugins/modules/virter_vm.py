#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
module: virter_vm
short_description: Declarative lab VMs from layered virter images, with pinned SSH host keys
version_added: 0.1.0
description:
  - Creates, starts, stops and removes VMs the way LINBIT virter makes them, so virter and
    this collection manage each other's VMs.
  - A new VM gets an id, which fixes its MAC (V(52:54:00:00:00:00) + id) and IP (network
    address + id) through a static DHCP host entry on the access network, reserved
    atomically so parallel runs never share an id; an empty qcow2 overlay on its image's top
    layer as boot disk (no data is copied); and a NoCloud seed with the collection's SSH key
    and freshly generated host keys (RSA and ed25519), so SSH works with
    C(StrictHostKeyChecking=yes) from the first connection.
  - With O(count), the task manages a group of VMs named C(<name>-<id>), created
    concurrently. Membership is kept in the VMs' own metadata, so reruns find them.
  - With O(vms), one task converges a whole lab of different VMs and groups in one run,
    its own options being the entries' defaults; see O(vms).
  - "Options you leave out are not compared: on an existing VM, only the options the task
    sets (directly or through C(module_defaults)) are compared and changed, so
    C({name: db, state: stopped}) stops VM C(db) whatever it was made with, also a VM virter
    made. The defaults below that say \"for a new VM\" apply only when a VM is created;
    O(image) is needed only then."
  - "Drift: O(memory), O(vcpus), O(disk_cache), O(console_dir) and the VNC settings
    (O(vnc), O(vnc_port), O(vnc_listen)) of an existing VM are applied to its persistent
    definition (effective at the next boot; RV(reboot_needed)). The O(image), O(id), the
    access O(network), O(user), O(arch), O(virt_type), O(secure_boot), O(boot_capacity),
    O(gdb_port), O(ssh_private_key_file), O(ssh_public_keys), O(user_data), and the extra
    O(disks), O(nics) and O(mounts) need a new VM: the task fails naming them, unless
    O(recreate=true). A recreated VM is made from the task's options and the defaults for a
    new VM, as any new VM."
author:
  - virter.core contributors (@virter-core)
options:
  name:
    description:
      - Name of the VM; with O(count), the name of the group, whose members are named C(<name>-<id>).
      - 1 to 63 letters, digits, V(.), V(_) or V(-), starting with a letter or digit.
      - Required unless O(vms) is set; with O(vms), each entry has its own O(vms[].name) and
        the task has none.
    type: str
  state:
    description:
      - V(running) creates and starts the VMs; V(stopped) shuts them down (ACPI, then a hard
        stop after O(shutdown_timeout)) or creates them without starting them; V(absent) removes
        the domains, their volumes, DHCP host entries and leases, and image layers nothing
        else uses.
    type: str
    choices: [running, stopped, absent]
    default: running
  image:
    description:
      - Local image name, or a registry reference such as V(localhost:5000/lab/debian:12).
      - A reference maps to its local name as virter does (V(reg:5000/foo/bar:baz) is
        V(foo--bar-baz)) and is pulled into O(pool) as O(pull_policy) says.
      - Required to create VMs (the task fails naming the VM otherwise). Existing VMs keep the
        layers they were made from.
    type: str
  pull_policy:
    description:
      - When a registry reference in O(image) is pulled; only when VMs are created.
      - V(IfNotExist) pulls when the local image is missing.
      - V(Always) pulls every time; layers already in the pool are not downloaded again,
        and the image changes only when the top layer differs.
      - V(Never) uses the local image and fails when it is missing.
      - A local image name is never pulled; a missing one fails with every policy (import
        it with M(virter.core.virter_image)).
      - In check mode a pull reads only the registry's manifest and config.
    type: str
    choices: [IfNotExist, Always, Never]
    default: IfNotExist
  id:
    description:
      - Fixes the MAC and IP of the VM (from 2 up). Without it a free id is taken.
      - With O(count), members have ids O(id) .. O(id) + O(count) - 1.
    type: int
  count:
    description:
      - Converge the group O(name) to this many members. Shrinking removes the highest ids.
    type: int
  static_dhcp:
    description:
      - Use host entries that already exist on the access network (see
        M(virter.core.virter_network) O(virter.core.virter_network#module:dhcp_ids)) instead
        of adding them; the id is still claimed so that two VMs never share it.
      - Labs that create many VMs gain from it, because libvirt applies each added host entry by
        reloading the network's firewall rules, one entry at a time (about 0.5 s per VM
        on Debian 12).
      - Claims are serialised on the hypervisor, by a lock volume C(virter-core-lock:static-dhcp:<network>)
        in O(pool) held while the VMs are claimed and defined, so runs from several controllers do not
        take the same entry.
      - If not set, the environment variable E(VIRTER_LIBVIRT_STATIC_DHCP) is used.
    type: bool
    default: false
  memory:
    description:
      - Memory size. V(K), V(M), V(G), V(T) and V(KiB) .. V(TiB) are binary, V(KB) .. V(TB)
        decimal; a bare number is MiB.
      - For a new VM, V(1G) when not set.
    type: str
  vcpus:
    description: Number of virtual CPUs (for a new VM, V(1) when not set).
    type: int
  boot_capacity:
    description: Size of the boot disk (never smaller than the image; for a new VM, V(10G) when not set).
    type: str
  disks:
    description: Extra disks, volumes C(virter:work:<vm>-<disk name>) (for a new VM, none when not set).
    type: list
    elements: dict
    suboptions:
      name:
        description: Disk name (not V(cidata), unique per VM).
        type: str
        required: true
      size:
        description: Disk size, as O(memory).
        type: str
        required: true
      format:
        description: Volume format.
        type: str
        choices: [qcow2, raw]
        default: qcow2
      bus:
        description:
          - Disk bus. V(ide) disks are SATA (AHCI) disks on the q35 machine of O(arch=amd64),
            which has no IDE; other architectures have neither.
        type: str
        choices: [virtio, scsi, ide]
        default: virtio
      pool:
        description: Storage pool of the volume (default O(pool)).
        type: str
  nics:
    description: Extra NICs, after the access NIC (for a new VM, none when not set).
    type: list
    elements: dict
    suboptions:
      type:
        description: Attach to a libvirt network or a host bridge.
        type: str
        choices: [network, bridge]
        default: network
      source:
        description: Name of the network or bridge.
        type: str
        required: true
      model:
        description: NIC model.
        type: str
        default: virtio
      mac:
        description: MAC address (libvirt picks one when omitted).
        type: str
  mounts:
    description:
      - Host directories shared into the VM with virtiofs, mounted by cloud-init (for a new
        VM, none when not set).
      - A missing host directory is created (as C(mkdir -p)) when the module runs on the
        hypervisor.
    type: list
    elements: dict
    suboptions:
      host:
        description: Absolute path on the hypervisor.
        type: path
        required: true
      vm:
        description: Absolute mount point in the VM, also the virtiofs tag (as virter makes it), so 36 bytes at most.
        type: str
        required: true
  console_dir:
    description: Log the serial console to C(<console_dir>/<vm>.log) on the hypervisor.
    type: path
  gdb_port:
    description: Open a gdb server on this TCP port; with O(count), member i (0-based, by id) gets port + i.
    type: int
  vnc:
    description: Add a VNC display (port 6000 + id unless O(vnc_port) is set; for a new VM, V(false) when not set).
    type: bool
  vnc_port:
    description: VNC port; with O(count), member i (0-based, by id) gets port + i. Implies O(vnc).
    type: int
  vnc_listen:
    description: Address the VNC display listens on (V(127.0.0.1) when not set and the VM has no VNC address yet).
    type: str
  user:
    description: SSH user, kept in the VM's metadata (as virter does) and returned (for a new VM, V(root) when not set).
    type: str
  ssh_public_keys:
    description: Extra authorized keys for the VM (for a new VM, none when not set).
    type: list
    elements: str
  user_data:
    description:
      - Extra cloud-config, deep-merged into the generated user-data (dicts merge, lists
        append). The injected host keys cannot be set and the collection's key cannot be removed.
      - Refused when it would lock the collection's key out, C(disable_root) while O(user) is
        V(root), or a C(users) list with neither V(default) nor an entry for O(user). An entry
        for O(user) in C(users) gets the collection's authorized keys. C(ssh_keys) cannot be
        set; C(ssh_deletekeys) and C(ssh_genkeytypes) can, since they leave the pinned host
        keys alone.
    type: dict
  ssh_private_key_file:
    description:
      - The key pair used to log in (readiness, returned host vars).
      - Default is virter's key store on the hypervisor, C($XDG_CONFIG_HOME/virter/id_rsa)
        (C(~/.config/virter/id_rsa)), created (RSA, mode 0600) when missing.
    type: path
  virt_type:
    description:
      - V(kvm), V(qemu) (software emulation), or V(auto) (KVM when the hypervisor offers it).
      - For a new VM, V(auto) when not set.
    type: str
    choices: [auto, kvm, qemu]
  arch:
    description: Guest architecture, virter's names (for a new VM, V(amd64) when not set).
    type: str
    choices: [amd64, arm64, ppc64le, s390x]
  secure_boot:
    description: Boot with UEFI secure boot (for a new VM, V(false) when not set).
    type: bool
  disk_cache:
    description: libvirt disk cache mode for every disk (for example V(unsafe) for throwaway VMs).
    type: str
    choices: [default, none, writethrough, writeback, directsync, unsafe]
  wait_for:
    description:
      - V(ready) waits until an SSH login with the pinned host key works and cloud-init has
        finished; V(ssh) until port 22 answers with an SSH banner; V(none) does not wait.
      - Waiting happens where the module runs; it needs to reach the VMs' addresses.
    type: str
    choices: [ready, ssh, none]
    default: ready
  wait_timeout:
    description:
      - Seconds to wait for O(wait_for).
      - With several VMs (O(count), O(vms)) they are waited for at once, and each has that long
        from the moment the last one before it was ready, as if they were waited for one after
        another (VMs that boot together share the host's CPUs). The wait fails when that
        long passes without another VM becoming ready.
    type: int
    default: 300
  shutdown_timeout:
    description: Seconds an ACPI shutdown (O(state=stopped)) may take before a hard stop.
    type: int
    default: 60
  recreate:
    description: Replace a VM that differs from the task in a way only a new VM can change.
    type: bool
    default: false
  force:
    description: Remove a domain of this name even when it carries no virter metadata.
    type: bool
    default: false
  network:
    description:
      - The access network, whose static DHCP host entries give VMs their addresses. It
        needs an IPv4 address with a DHCP range.
      - For a new VM, when not set, the environment variable E(VIRTER_LIBVIRT_NETWORK), else
        V(default). An existing VM is compared with it only when it is set.
    type: str
  vms:
    description:
      - A whole lab in one task - a list of entries, each a VM or a O(count) group with its own
        options. The task's other options are the defaults of every entry; an entry overrides
        them for the keys it sets, and only options set by the entry or the task are compared
        with an existing VM.
      - All entries converge in one run. Every entry is checked before anything changes (an
        entry that would fail makes the whole task fail, the message naming the entry); ids
        are claimed in one pass, the new VMs are made concurrently and started together, and
        one wait covers all of them.
      - Two entries cannot have the same name, an entry cannot be named like a member
        C(<group>-<id>) of a group entry, and fixed ids of entries on the same network must
        not overlap.
      - RV(vms) lists the VMs of the entries in the entries' order (a group's members by id).
      - O(uri) and the registry options are the task's only; O(name) is not set with O(vms).
    type: list
    elements: dict
    suboptions:
      name:
        description: As O(name), for this entry.
        type: str
        required: true
      state:
        description: As O(state) (default the task's).
        type: str
        choices: [running, stopped, absent]
      image:
        description: As O(image).
        type: str
      pull_policy:
        description: As O(pull_policy) (default the task's).
        type: str
        choices: [IfNotExist, Always, Never]
      id:
        description: As O(id).
        type: int
      count:
        description: As O(count).
        type: int
      static_dhcp:
        description: As O(static_dhcp) (default the task's).
        type: bool
      memory:
        description: As O(memory).
        type: str
      vcpus:
        description: As O(vcpus).
        type: int
      boot_capacity:
        description: As O(boot_capacity).
        type: str
      disks:
        description: As O(disks).
        type: list
        elements: dict
        suboptions:
          name:
            description: As O(disks[].name).
            type: str
            required: true
          size:
            description: As O(disks[].size).
            type: str
            required: true
          format:
            description: As O(disks[].format).
            type: str
            choices: [qcow2, raw]
            default: qcow2
          bus:
            description: As O(disks[].bus).
            type: str
            choices: [virtio, scsi, ide]
            default: virtio
          pool:
            description: As O(disks[].pool) (default the entry's O(vms[].pool)).
            type: str
      nics:
        description: As O(nics).
        type: list
        elements: dict
        suboptions:
          type:
            description: As O(nics[].type).
            type: str
            choices: [network, bridge]
            default: network
          source:
            description: As O(nics[].source).
            type: str
            required: true
          model:
            description: As O(nics[].model).
            type: str
            default: virtio
          mac:
            description: As O(nics[].mac).
            type: str
      mounts:
        description: As O(mounts).
        type: list
        elements: dict
        suboptions:
          host:
            description: As O(mounts[].host).
            type: path
            required: true
          vm:
            description: As O(mounts[].vm).
            type: str
            required: true
      console_dir:
        description: As O(console_dir).
        type: path
      gdb_port:
        description: As O(gdb_port).
        type: int
      vnc:
        description: As O(vnc).
        type: bool
      vnc_port:
        description: As O(vnc_port).
        type: int
      vnc_listen:
        description: As O(vnc_listen).
        type: str
      user:
        description: As O(user).
        type: str
      ssh_public_keys:
        description: As O(ssh_public_keys).
        type: list
        elements: str
      user_data:
        description: As O(user_data).
        type: dict
      ssh_private_key_file:
        description: As O(ssh_private_key_file).
        type: path
      virt_type:
        description: As O(virt_type).
        type: str
        choices: [auto, kvm, qemu]
      arch:
        description: As O(arch).
        type: str
        choices: [amd64, arm64, ppc64le, s390x]
      secure_boot:
        description: As O(secure_boot).
        type: bool
      disk_cache:
        description: As O(disk_cache).
        type: str
        choices: [default, none, writethrough, writeback, directsync, unsafe]
      wait_for:
        description: As O(wait_for) (default the task's).
        type: str
        choices: [ready, ssh, none]
      wait_timeout:
        description: As O(wait_timeout) (default the task's).
        type: int
      shutdown_timeout:
        description: As O(shutdown_timeout) (default the task's).
        type: int
      recreate:
        description: As O(recreate) (default the task's).
        type: bool
      force:
        description: As O(force) (default the task's).
        type: bool
      network:
        description: As O(network) (default the task's).
        type: str
      pool:
        description: As O(pool), the storage pool of the entry's VMs (default the task's).
        type: str
requirements:
  - pycdlib
  - cryptography
extends_documentation_fragment:
  - virter.core.common
  - virter.core.common.REGISTRY
  - virter.core.attributes
  - virter.core.attributes.ACTIONGROUP_VIRTER
attributes:
  check_mode:
    support: full
    details:
      - A new VM's id, MAC, IP (and, for group members with free ids, name) are V(null) in check mode.
  diff_mode:
    support: full
    details:
      - The diff shows each VM's state and, for drift applied to its definition, the fields
        before and after.
  idempotent:
    support: full
notes:
  - Runs on the hypervisor. With a remote O(uri), waiting and lease release need the
    module to reach the VMs; run it on the hypervisor, or wait from the controller with
    M(ansible.builtin.wait_for_connection).
  - Nothing half-made stays when the task fails - a VM whose definition fails loses its
    volumes and host entry again, and a new VM that does not start is removed.
  - A run that was killed can leave parts of a VM it had not defined yet. The next run of
    that VM or group (any O(state)) removes them, and so does M(virter.core.virter_layer)
    with O(virter.core.virter_layer#module:state=pruned) for the volumes. These parts are
    the collection's own - DHCP host entries named after a VM or group member that has no
    domain (every entry the collection adds names its VM; nameless entries, virter's own
    and those of O(virter.core.virter_network#module:dhcp_ids), are never touched), and
    the work volumes C(virter:work:<vm>), C(virter:work:<vm>-cidata) and
    C(virter:work:<vm>-<disk>) of such a VM that no domain uses.
  - Two runs that converge the same VM or group at the same time are not supported; runs
    about different VMs are.
  - O(vcpus) beyond what the hypervisor allows for the virtualization type and O(memory)
    beyond the hypervisor's RAM are refused before anything is made.
seealso:
  - module: virter.core.virter_vm_info
  - module: virter.core.virter_image
  - module: virter.core.virter_network
'''

EXAMPLES = r'''
- name: Two lab VMs with free ids, ready for SSH
  virter.core.virter_vm:
    name: lab
    image: debian-12
    count: 2
    memory: 2G
  register: lab

- name: Pin their host keys
  ansible.builtin.copy:
    content: "{{ lab.known_hosts | join('\n') }}\n"
    dest: /tmp/lab_known_hosts
    mode: "0600"

- name: Reach them with the pinned host keys
  ansible.builtin.add_host:
    name: "{{ item.name }}"
    groups: lab
    ansible_host: "{{ item.ip }}"
    ansible_user: "{{ item.user }}"
    ansible_ssh_private_key_file: "{{ item.ssh_private_key_file }}"
    ansible_ssh_common_args: >-
      -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/tmp/lab_known_hosts
  loop: "{{ lab.vms }}"

- name: One VM with a fixed id, an extra disk and extra cloud-config
  virter.core.virter_vm:
    name: db
    image: debian-12
    id: 10
    disks:
      - name: data
        size: 20G
    user_data:
      write_files:
        - path: /etc/motd
          content: "database host\n"

- name: A VM from a registry image, pulled into the pool the first time
  virter.core.virter_vm:
    name: builder
    image: registry.example.com/lab/alma:9
    pull_policy: IfNotExist
    registry_username: lab
    registry_password: "{{ vault_registry_password }}"

- name: Stop db; the options it was made with need not be repeated
  virter.core.virter_vm:
    name: db
    state: stopped

- name: Remove the group
  virter.core.virter_vm:
    name: lab
    count: 0

- name: A lab in one call - three different entries, the task's options their defaults
  virter.core.virter_vm:
    image: debian-12
    memory: 1G
    vms:
      - name: ctrl
        id: 20
        vcpus: 2
      - name: node
        count: 2
      - name: store
        state: stopped
        disks:
          - name: data
            size: 10G

- name: Remove that lab in one call
  virter.core.virter_vm:
    state: absent
    vms:
      - name: ctrl
      - name: node
        count: 0
      - name: store
'''

RETURN = r'''
vms:
  description: The VMs of the task, one entry each.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: VM name (V(null) in check mode for a group member whose id is not chosen yet).
      type: str
    id:
      description: VM id (V(null) in check mode for a new VM).
      type: int
    mac:
      description: MAC of the access NIC.
      type: str
    ip:
      description: IPv4 address on the access network.
      type: str
    network:
      description: The access network.
      type: str
    state:
      description: V(running) or V(stopped).
      type: str
    image:
      description: The local image the VM was made from.
      type: str
    group:
      description: The group (O(name) of a task with O(count)), or V(null).
      type: str
    user:
      description: SSH user.
      type: str
    host_key:
      description: The VM's RSA host public key (pinned).
      type: str
    known_hosts_line:
      description: The VM's RSA known_hosts line (IP, name, name.domain), the key virter pins; RV(vms[].known_hosts_lines) has every pinned key.
      type: str
    known_hosts_lines:
      description:
        - The VM's known_hosts lines (IP, name, name.domain), one per pinned host key, RSA
          first, then ed25519. A VM virter made pins RSA only and has one line.
      type: list
      elements: str
    ssh_private_key_file:
      description: The private key that logs in.
      type: str
    console_file:
      description: Serial console log on the hypervisor, or V(null).
      type: str
  sample:
    - name: lab-2
      id: 2
      mac: "52:54:00:00:00:02"
      ip: 192.168.122.2
      network: default
      state: running
      image: debian-12
      group: lab
      user: root
      host_key: ssh-rsa AAAAB3NzaC1yc2E...
      known_hosts_line: 192.168.122.2,lab-2 ssh-rsa AAAAB3NzaC1yc2E...
      known_hosts_lines:
        - 192.168.122.2,lab-2 ssh-rsa AAAAB3NzaC1yc2E...
        - 192.168.122.2,lab-2 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5...
      ssh_private_key_file: /root/.config/virter/id_rsa
      console_file: null
known_hosts:
  description: The known_hosts lines of all VMs of the task (every line of each VM's RV(vms[].known_hosts_lines)).
  returned: always
  type: list
  elements: str
reboot_needed:
  description: A running VM's definition changed; it takes effect at the next boot.
  returned: always
  type: bool
not_ready:
  description:
    - Per VM that did not become ready within O(wait_timeout), the last error seen and the
      last lines of its console log, a list (when O(console_dir) is set; empty when the
      hypervisor is remote).
  returned: when O(wait_for) timed out
  type: dict
  sample:
    lab-2:
      last_error: port 22 of 192.168.122.2 refused the connection
      console_tail:
        - "[   12.3] cloud-init[512]: ..."
'''

from ansible_collections.virter.core.plugins.module_utils._ansible_module import REGISTRY_ARGUMENT_SPEC, new_module, run
from ansible_collections.virter.core.plugins.module_utils.vm import options
from ansible_collections.virter.core.plugins.module_utils.vm import service


def main():
    module = new_module(argument_spec=dict(options.argument_spec(), **REGISTRY_ARGUMENT_SPEC),
                        required_one_of=[("name", "vms")])
    run(module, lambda conn: service.run(conn, module.params, module.check_mode), libraries=("pycdlib", "cryptography"))


if __name__ == "__main__":
    main()
