#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
module: virter_image_info
short_description: List the layered images of a libvirt storage pool
version_added: 0.1.0
description:
  - Returns the images of the pool (its C(virter:tag:*) volumes) with their layer
    chains, including images made by LINBIT virter.
author:
  - virter.core contributors (@virter-core)
options:
  name:
    description:
      - Return only this image (an empty list when it does not exist).
      - A registry reference maps to a local name by virter's rule.
    type: str
extends_documentation_fragment:
  - virter.core.common
  - virter.core.common.network_unused
  - virter.core.attributes.info_module
  - virter.core.attributes.actiongroup_virter
seealso:
  - module: virter.core.virter_image
  - module: virter.core.virter_layer_info
'''

EXAMPLES = r'''
- name: All images
  virter.core.virter_image_info:
  register: result

- name: Is debian-12 there?
  virter.core.virter_image_info:
    name: debian-12
  register: result

- name: Show its layers
  ansible.builtin.debug:
    var: result.images[0].layers
  when: result.images | length > 0
'''

RETURN = r'''
images:
  description: The images, sorted by name, as M(virter.core.virter_image) returns C(image).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Local image name.
      type: str
    top_layer:
      description: Digest of the top layer.
      type: str
    layers:
      description: Digests of all layers, base first.
      type: list
      elements: str
    virtual_size:
      description: Virtual disk size in bytes.
      type: int
    created:
      description: When the top layer was written (UTC, ISO 8601).
      type: str
  sample:
    - name: debian-12
      top_layer: sha256:154db5f4935105992007168284695b63bd3708f85a2ad30bc1c4ab6a594dc17b
      layers: [sha256:154db5f4935105992007168284695b63bd3708f85a2ad30bc1c4ab6a594dc17b]
      virtual_size: 3221225472
      created: "2026-11-27T19:03:00Z"
'''

from ansible_collections.virter.core.plugins.module_utils._ansible_module import new_module, run
from ansible_collections.virter.core.plugins.module_utils.store.store import Store
from ansible_collections.virter.core.plugins.module_utils.store.names import local_image_name


def main():
    module = new_module(argument_spec={"name": {"type": "str"}})
    name = module.params["name"]

    def action(conn):
        store = Store(conn, module.params["pool"])
        return {"changed": False, "images": store.images(name and local_image_name(name))}

    run(module, action)


if __name__ == "__main__":
    main()
