#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
module: virter_layer
short_description: Remove image layers, or prune the unused ones
version_added: 0.1.0
description:
  - Removes one image layer (a C(virter:layer:sha256:*) volume), or every layer that no
    image, layer or VM disk uses, as C(virter image prune) does.
  - The pool is read once; what is in use is decided from that one listing.
author:
  - virter.core contributors (@virter-core)
options:
  digest:
    description:
      - The layer to remove, as V(sha256:<hex>). Required with O(state=absent).
    type: str
  state:
    description:
      - V(absent) removes the layer O(digest) if nothing uses it (and fails if something
        does, unless O(force)), then the layers below it that nothing else uses.
      - V(pruned) removes every layer nothing uses. With O(unused_for), the images whose
        top layer was not read for that long are removed first.
      - V(pruned) also removes what interrupted runs left in the pool, older than O(grace)
        - C(virter:work:) volumes (of a VM that was never defined, of an import or a commit)
        that no domain uses as a disk - and then the layers only they used.
      - V(pruned) also removes the lock volumes (C(virter-core-lock:) and
        C(virter-core-unlock:)) that runs left - those whose holder was a process of this
        machine that has ended, whatever O(grace), and those unchanged for longer than
        O(grace) and their stale time (a minute for image locks, five minutes for others).
        A lock a live run holds is young or grows now and then, so it stays.
    type: str
    choices: [absent, pruned]
    required: true
  force:
    description:
      - With O(state=absent), also remove the images and layers built on the layer.
      - Never removes a VM's disk or a volume outside virter's names; a layer such a
        volume uses cannot be removed.
    type: bool
    default: false
  unused_for:
    description:
      - With O(state=pruned), a duration such as V(30d) or V(12h) (units s, m, h, d, w).
        Images whose top layer's last access time is older are removed first.
      - The access time is what the file system records (often at most once a day).
        libvirt reads every layer when it refreshes the pool, as each import does, and
        that counts as an access too.
    type: str
  grace:
    description:
      - With O(state=pruned), never remove a layer or a work volume whose file was written
        or changed within this duration, so that an import or a VM creation in flight
        keeps its volumes.
      - A layer a C(virter:work:) volume younger than this is backed by is kept.
    type: str
    default: 1h
extends_documentation_fragment:
  - virter.core.common
  - virter.core.common.network_unused
  - virter.core.attributes
  - virter.core.attributes.actiongroup_virter
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff lists the layers and the images in the pool before and after.
  idempotent:
    support: full
seealso:
  - module: virter.core.virter_layer_info
  - module: virter.core.virter_image
'''

EXAMPLES = r'''
- name: Remove the layers nothing uses
  virter.core.virter_layer:
    state: pruned

- name: Remove images not used for 30 days, then the unused layers
  virter.core.virter_layer:
    state: pruned
    unused_for: 30d

- name: Remove one layer and the images built on it
  virter.core.virter_layer:
    digest: sha256:154db5f4935105992007168284695b63bd3708f85a2ad30bc1c4ab6a594dc17b
    state: absent
    force: true
'''

RETURN = r'''
removed:
  description: Digests of the layers removed (in check mode, that would be removed).
  returned: always
  type: list
  elements: str
  sample: [sha256:154db5f4935105992007168284695b63bd3708f85a2ad30bc1c4ab6a594dc17b]
removed_images:
  description: Names of the images removed with them.
  returned: always
  type: list
  elements: str
  sample: [debian-12]
removed_work_volumes:
  description: Names of the C(virter:work:) volumes that interrupted runs left and that were removed.
  returned: always
  type: list
  elements: str
  sample: ["virter:work:web-3", "virter:work:web-3-cidata"]
removed_locks:
  description:
    - Names of the lock volumes that runs left and that were removed (in check mode, that
      would be removed). Always empty with O(state=absent).
  returned: always
  type: list
  elements: str
  sample: ["virter-core-lock:image:debian-12"]
diff:
  description:
    - The digests of the layers and the names of the images in the pool, before and
      after (in check mode, after the removal that would be made).
  returned: always
  type: dict
  sample:
    before:
      layers: [sha256:154db5f4935105992007168284695b63bd3708f85a2ad30bc1c4ab6a594dc17b]
      images: [debian-12]
    after:
      layers: []
      images: []
'''

from ansible_collections.virter.core.plugins.module_utils._ansible_module import new_module, run
from ansible_collections.virter.core.plugins.module_utils._duration import parse_duration
from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput
from ansible_collections.virter.core.plugins.module_utils.image.layer_gc import LayerService
from ansible_collections.virter.core.plugins.module_utils.store.names import validate_digest
from ansible_collections.virter.core.plugins.module_utils.vm.listing import disks_in_use


# Options of one state only: given with the other, they would be ignored.
STATE_ONLY = {"digest": "absent", "force": "absent", "unused_for": "pruned"}


def main():
    module = new_module(
        argument_spec={
            "digest": {"type": "str"},
            "state": {"type": "str", "choices": ["absent", "pruned"], "required": True},
            "force": {"type": "bool", "default": False},
            "unused_for": {"type": "str"},
            "grace": {"type": "str", "default": "1h"},
        },
        required_if=[("state", "absent", ["digest"])],
    )
    params = module.params

    def action(conn):
        for option, state in STATE_ONLY.items():
            if params[option] not in (None, False) and params["state"] != state:
                raise InvalidInput("%s applies to state %s only, not to state %s" % (option, state, params["state"]))
        if params["state"] == "absent":
            digest = validate_digest(params["digest"])
            return LayerService(conn, params["pool"], disks_in_use, module.check_mode).absent(digest, params["force"])
        grace = parse_duration(params["grace"], "grace")
        unused_for = None if params["unused_for"] is None else parse_duration(params["unused_for"], "unused_for")
        return LayerService(conn, params["pool"], disks_in_use, module.check_mode).pruned(grace, unused_for)

    run(module, action)


if __name__ == "__main__":
    main()
