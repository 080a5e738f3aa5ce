#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
module: virter_layer_info
short_description: List the image layers of a libvirt storage pool
version_added: 0.1.0
description:
  - Returns the layers of the pool (its C(virter:layer:sha256:*) volumes), each with
    its parent and what uses it.
author:
  - virter.core contributors (@virter-core)
options:
  digest:
    description:
      - Return only this layer (an empty list when it does not exist), as V(sha256:<hex>).
    type: str
extends_documentation_fragment:
  - virter.core.common
  - virter.core.common.network_unused
  - virter.core.attributes.info_module
  - virter.core.attributes.actiongroup_virter
seealso:
  - module: virter.core.virter_layer
  - module: virter.core.virter_image_info
'''

EXAMPLES = r'''
- name: All layers
  virter.core.virter_layer_info:
  register: result

- name: Layers nothing uses
  ansible.builtin.debug:
    msg: "{{ result.layers | selectattr('used_by.images', 'equalto', []) | selectattr('used_by.layers', 'equalto', [])
             | selectattr('used_by.vms', 'equalto', []) | map(attribute='digest') | list }}"
'''

RETURN = r'''
layers:
  description: The layers, sorted by digest.
  returned: always
  type: list
  elements: dict
  contains:
    digest:
      description: The layer's digest, the sha256 of its qcow2 file.
      type: str
    parent:
      description: Digest of the layer it is backed by, or V(null).
      type: str
    size:
      description: Size of its file in bytes.
      type: int
    created:
      description: When its file was written (UTC, ISO 8601).
      type: str
    used_by:
      description: What is backed by it directly.
      type: dict
      contains:
        images:
          description: Images whose top layer it is.
          type: list
          elements: str
        vms:
          description: VM disks and other work volumes (the volume name without C(virter:work:)).
          type: list
          elements: str
        layers:
          description: Digests of layers built on it.
          type: list
          elements: str
        volumes:
          description: Other volumes of the pool backed by it.
          type: list
          elements: str
  sample:
    - digest: sha256:154db5f4935105992007168284695b63bd3708f85a2ad30bc1c4ab6a594dc17b
      parent: null
      size: 607191040
      created: "2026-11-27T19:03:00Z"
      used_by: {images: [debian-12], vms: [web1], layers: [], volumes: []}
'''

from ansible_collections.virter.core.plugins.module_utils._ansible_module import new_module, run
from ansible_collections.virter.core.plugins.module_utils.store.store import Store
from ansible_collections.virter.core.plugins.module_utils.store.names import validate_digest


def main():
    module = new_module(argument_spec={"digest": {"type": "str"}})
    digest = module.params["digest"]

    def action(conn):
        if digest is not None:
            validate_digest(digest)
        return {"changed": False, "layers": Store(conn, module.params["pool"]).layers(digest)}

    run(module, action)


if __name__ == "__main__":
    main()
