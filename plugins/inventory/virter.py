# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
name: virter
short_description: Virter VMs as Ansible hosts, SSH host keys pinned
version_added: 0.1.0
description:
  - Every running VM made by this collection or by LINBIT virter on the given libvirt
    hypervisors becomes a host, reached over SSH at its access-network address with the
    collection's key pair and C(StrictHostKeyChecking=yes) against the host keys pinned in
    the VM's metadata (RSA, and ed25519 for the VMs this collection made).
  - The pinned keys are written to a known_hosts file (O(known_hosts_file)) on every parse,
    cache hits included; C(ansible_ssh_common_args) points at it, and
    C(ansible_host_key_checking) is set, so a configuration that turns host key checking
    off does not cancel the pinning.
  - Every host has the variables C(virter_name), C(virter_id), C(virter_image),
    C(virter_group), C(virter_network), C(virter_state), C(virter_uri) and
    C(virter_known_hosts_file) (the pinned keys' file), which
    the C(virter.core.provision) role and O(compose) can use.
  - For a hypervisor reached over SSH (C(qemu+ssh://), C(qemu+libssh://), C(qemu+libssh2://)) the
    VMs are reached through it, with a C(ProxyCommand) made as libvirt reaches the hypervisor (the
    URI's user, port, C(keyfile), C(command) and C(known_hosts)), so the hypervisor's host key
    is checked as libvirt checks it (libvirt's C(no_verify) is not followed), and the VM's own
    key is checked under the VM's name (C(HostKeyAlias)).
  - The inventory file name must end in C(.virter.yml) or C(.virter.yaml). A source with a key
    that is not an option of this plugin (or of C(constructed) and the inventory cache) is
    refused, as are an empty O(uri) and unknown keys in O(filters).
author:
  - virter.core contributors (@virter-core)
requirements:
  - libvirt-python and lxml on the controller
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: The name of this plugin.
    type: str
    required: true
    choices: [virter.core.virter]
  uri:
    description: libvirt URI of a hypervisor, or a list of them.
    type: list
    elements: str
    default: [qemu:///system]
  network:
    description: Only VMs whose access network has this name (default any).
    type: str
  filters:
    description:
      - Only VMs whose attributes match; every key given must match.
      - Keys other than the ones below, and empty values, are refused.
    type: dict
    default: {}
    suboptions:
      name:
        description: Shell-style pattern on the VM name.
        type: str
      group:
        description: The group (C(name) of a M(virter.core.virter_vm) task with C(count)).
        type: str
      image:
        description: The image the VM was made from.
        type: str
  include_stopped:
    description: Add stopped VMs too, without C(ansible_host), in the group C(virter_stopped).
    type: bool
    default: false
  pipelining:
    description:
      - C(ansible_pipelining) of every host. With it, a module runs in one SSH round trip
        instead of several (no temporary files on the VM), which counts in a guest under
        software emulation. It needs C(requiretty) off in the VM's sudoers for C(become),
        as cloud images have it.
    type: bool
    default: true
  ssh_private_key_file:
    description:
      - C(ansible_ssh_private_key_file) of every host.
      - Default is virter's key store on the controller, C($XDG_CONFIG_HOME/virter/id_rsa).
    type: path
  known_hosts_file:
    description:
      - Where the pinned host keys are written. Every parse rewrites the file with the hosts
        of this inventory source only, so two sources must not share one.
      - Default is C(virter-core/known_hosts-<hash>) under the user's cache directory
        (C($XDG_CACHE_HOME), else C(~/.cache)), with C(<hash>) taken from the absolute path
        of the inventory source, so that every source has a file of its own.
    type: path
  hostname_prefix:
    description:
      - Prefix of every host name.
      - Hosts are named after the VM, or C(<hypervisor>_<vm>) when VMs of several URIs share
        a name (C(localhost) for a local URI); the prefix goes before either.
      - If two VMs still get the same host name (for instance C(qemu:///system) and
        C(qemu:///session) both with a VM C(a)), the parse fails and names both; give each
        URI an inventory source of its own, with its own O(hostname_prefix).
    type: str
'''

EXAMPLES = r'''
# lab.virter.yml
plugin: virter.core.virter
uri: qemu:///system
filters:
  group: lab
keyed_groups:
  - key: virter_image
    prefix: image

---
# two hypervisors, reached over SSH
# hosts.virter.yml
plugin: virter.core.virter
uri:
  - qemu+ssh://root@hv1/system
  - qemu+ssh://root@hv2/system
include_stopped: true
cache: true
'''

import fnmatch
import hashlib
import os
import tempfile

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.virter.core.plugins.module_utils._errors import VirterError
from ansible_collections.virter.core.plugins.module_utils.inventory.config import check_config
from ansible_collections.virter.core.plugins.module_utils.inventory.hosts import host_names, ssh_args_for
from ansible_collections.virter.core.plugins.module_utils._keys import default_private_key_file

try:
    from ansible_collections.virter.core.plugins.module_utils._ansible_module import connect
    from ansible_collections.virter.core.plugins.module_utils.vm.listing import list_vms
    IMPORT_ERROR = None
except ImportError as exc:
    IMPORT_ERROR = exc


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "virter.core.virter"

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith((".virter.yml", ".virter.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        config = self._read_config_data(path)
        options = dict((name, self.get_option(name)) for name in ("uri", "network", "filters"))
        try:
            check_config(config, options, self.option_definitions)
        except VirterError as exc:
            raise AnsibleParserError("virter inventory %s: %s" % (path, exc.msg))
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache") and cache
        found = None
        if use_cache:
            try:
                found = self._cache[cache_key]
            except KeyError:
                found = None
        if found is None:
            found = self._fetch()
            if self.get_option("cache"):
                self._cache[cache_key] = found
        self._populate(found, self.get_option("known_hosts_file") or _default_known_hosts(path))

    def _fetch(self):
        """{uri: [vm dicts]} from every hypervisor."""
        if IMPORT_ERROR is not None:
            raise AnsibleError("the virter inventory needs libvirt-python and lxml on the controller: %s"
                               % to_native(IMPORT_ERROR))
        key_file = self.get_option("ssh_private_key_file") or default_private_key_file()
        found = {}
        for uri in self.get_option("uri"):
            try:
                conn = connect(uri)
                try:
                    found[uri] = list_vms(conn, key_file)
                finally:
                    conn.close()
            except VirterError as exc:
                raise AnsibleError("virter inventory: %s" % exc.msg)
        return found

    def _wanted(self, vm):
        filters = self.get_option("filters") or {}
        network = self.get_option("network")
        if network and vm["network"] != network:
            return False
        if filters.get("name") and not fnmatch.fnmatchcase(vm["name"], filters["name"]):
            return False
        for key in ("group", "image"):
            if filters.get(key) and vm[key] != filters[key]:
                return False
        return vm["state"] == "running" or self.get_option("include_stopped")

    def _populate(self, found, known_hosts):
        wanted = dict((uri, [vm for vm in vms if self._wanted(vm)]) for uri, vms in found.items())
        try:
            names = host_names(wanted, self.get_option("hostname_prefix"))
        except VirterError as exc:
            raise AnsibleError("virter inventory: %s" % exc.msg)
        lines = [line for vms in wanted.values() for vm in vms for line in _pinned(vm)]
        _write_private(known_hosts, lines)
        strict = self.get_option("strict")
        for uri, vms in wanted.items():
            for vm in vms:
                host = names[(uri, vm["name"])]
                self.inventory.add_host(host)
                hostvars = {
                    "ansible_user": vm["user"],
                    "ansible_ssh_private_key_file": vm["ssh_private_key_file"],
                    "ansible_ssh_common_args": ssh_args_for(uri, known_hosts, vm["name"]),
                    # A host_key_checking=False config would otherwise cancel the pinning.
                    "ansible_host_key_checking": True,
                    "ansible_pipelining": self.get_option("pipelining"),
                    "virter_name": vm["name"],
                    "virter_id": vm["id"],
                    "virter_image": vm["image"],
                    "virter_group": vm["group"],
                    "virter_network": vm["network"],
                    "virter_known_hosts_file": known_hosts,
                    "virter_state": vm["state"],
                    "virter_uri": uri,
                }
                if vm["state"] == "running":
                    hostvars["ansible_host"] = vm["ip"]
                else:
                    self.inventory.add_group("virter_stopped")
                    self.inventory.add_child("virter_stopped", host)
                for key, value in hostvars.items():
                    self.inventory.set_variable(host, key, wrap_var(value))
                self._set_composite_vars(self.get_option("compose"), hostvars, host, strict=strict)
                self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host, strict=strict)
                self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host, strict=strict)


def _pinned(vm):
    """A VM's known_hosts lines; a cache written before ed25519 was pinned has the RSA line only."""
    return vm.get("known_hosts_lines", [vm["known_hosts_line"]] if vm["known_hosts_line"] else [])


def _default_known_hosts(source):
    """A file per inventory source: each parse rewrites the file with its own hosts only."""
    digest = hashlib.sha256(to_bytes(os.path.abspath(source))).hexdigest()[:16]
    return os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                        "virter-core", "known_hosts-" + digest)


def _write_private(path, lines):
    """Replace `path` (mode 0600) at once; a temporary file of its own keeps parallel parses apart."""
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, 0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=os.path.basename(path) + ".")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write("".join(line + "\n" for line in lines))
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
