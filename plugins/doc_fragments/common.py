# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class ModuleDocFragment(object):

    # The connection options every module takes.
    DOCUMENTATION = r'''
options:
  uri:
    description:
      - libvirt connection URI of the hypervisor.
      - Module-side work that needs the hypervisor's own file system or network
        namespace (for example dropping a DHCP lease) is skipped for remote URIs.
      - If not set, the environment variable E(VIRTER_LIBVIRT_URI) is used, then
        E(LIBVIRT_DEFAULT_URI).
    type: str
    default: qemu:///system
  pool:
    description:
      - Storage pool that holds the images, layers and VM disks.
      - If not set, the environment variable E(VIRTER_LIBVIRT_POOL) is used.
    type: str
    default: default
requirements:
  - libvirt-python
  - lxml
notes:
  - The options O(uri), O(pool) and O(network) can be set for every module of the collection at once
    with C(module_defaults) and the group C(group/virter.core.virter).
'''

    # The access network, for modules that use it (VM addresses come from its DHCP host entries).
    NETWORK = r'''
options:
  network:
    description:
      - The access network, whose static DHCP host entries give VMs their addresses.
      - It needs an IPv4 address with a DHCP range.
      - If not set, the environment variable E(VIRTER_LIBVIRT_NETWORK) is used.
    type: str
    default: default
'''

    # The same option for modules that do not use it.
    NETWORK_UNUSED = r'''
options:
  network:
    description:
      - Not used by this module. Accepted so that C(module_defaults) of the group
        C(group/virter.core.virter) can set the access network for all modules.
    type: str
    default: default
'''

    # Registry access, for modules that pull or push images.
    REGISTRY = r'''
requirements:
  - oras (for registry pulls and pushes)
  - zstandard (for zstd-compressed layers)
options:
  registry_username:
    description:
      - User name for the registry (Basic auth, or to get a Bearer token).
      - Without it, credentials come from podman's and docker's auth files
        (E(REGISTRY_AUTH_FILE), C($XDG_RUNTIME_DIR/containers/auth.json),
        C(~/.config/containers/auth.json), C($DOCKER_CONFIG/config.json),
        C(~/.docker/config.json)), as written by C(podman login) or C(docker login);
        without any, anonymous access is tried.
    type: str
  registry_password:
    description: Password or token for O(registry_username).
    type: str
  registry_tls_verify:
    description:
      - Verify the registry's TLS certificate.
      - V(false) skips the check and also allows plain http, as docker does for insecure
        registries. A registry on this machine (V(localhost), loopback addresses) may
        always be reached over plain http.
    type: bool
    default: true
'''
