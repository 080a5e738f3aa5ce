#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
module: virter_image
short_description: Manage layered qcow2 images in a libvirt storage pool
version_added: 0.1.0
description:
  - Makes an image present in the pool, fetched from an http(s) URL or imported from a
    qcow2 file when it is missing, and optionally saves it as one standalone qcow2 file.
  - Removes an image together with every layer nothing else uses.
  - Images are stored as LINBIT virter stores them, so virter and this collection can
    share a pool. An image is a tag volume C(virter:tag:<name>) backed by a chain of
    immutable layers C(virter:layer:sha256:<hex>), each named by the sha256 of its
    qcow2 file.
  - The data is read once; its digest is computed while it streams in. When the pool is
    a C(dir) pool of the machine the module runs on, the data is written straight into
    the pool directory; otherwise it goes through libvirt's upload stream.
  - An interrupted run leaves no image pointing at incomplete layers; the next run
    removes what it left.
author:
  - virter.core contributors (@virter-core)
options:
  name:
    description:
      - Local image name.
      - A registry reference maps to a local name by virter's rule
        (V(reg:5000/foo/bar:baz) is V(foo--bar-baz)).
      - Images the module creates need 1 to 63 letters, digits, V(.), V(_) or V(-),
        starting with a letter or digit. Images made by virter with other names
        (such as V(provision:latest)) can be used and removed.
    type: str
    required: true
  state:
    description:
      - V(present) makes sure the image exists.
      - V(absent) removes its tag and every layer of it that no other image, layer or
        VM disk uses. Layers still used stay until their last user is gone.
    type: str
    choices: [present, absent]
    default: present
  source:
    description:
      - Where a missing image comes from.
      - V(url) downloads O(url); V(file) imports the qcow2 file O(path); V(local)
        only checks that the image exists.
      - Default is V(url) when O(url) is given, V(file) when O(path) is given, else V(local).
    type: str
    choices: [url, file, local]
  url:
    description:
      - An http or https URL of a qcow2 file.
      - Or a short name such as V(debian-12), looked up in virter's image lists
        (C(version = 1), C([images.<name>]) tables with a C(url)). The user's list
        C($XDG_CONFIG_HOME/virter/images.toml) (default C(~/.config/virter/images.toml))
        overrides the list C($XDG_DATA_HOME/virter/images.toml) (default
        C(~/.local/share/virter/images.toml)) that virter downloads. The module
        downloads no list.
      - A download that is not a qcow2 file fails; nothing is converted.
    type: str
  checksum:
    description:
      - The digest of the downloaded or imported file, as V(sha256:<hex>).
      - The import fails when the data has another digest.
      - It is the top layer's digest, so check mode can tell whether a re-fetch with
        O(force) would change the image.
    type: str
  path:
    description:
      - O(source=file) - a qcow2 file to import, standalone or backed by
        C(./virter:layer:sha256:<hex>) of this pool.
      - It is copied (reflinked where the file system can), never linked.
    type: path
  force:
    description:
      - Fetch from the source even when the image exists. The image is changed only if
        the new top layer differs.
      - With O(save_path), write the file even when it exists.
    type: bool
    default: false
  save_path:
    description:
      - Also write the image as one flattened, standalone qcow2 file to this path (as
        C(virter image save)), when the file does not exist or with O(force).
      - Its directory must exist. The file is written under a temporary name and then
        renamed, so it is never found half written.
    type: path
extends_documentation_fragment:
  - virter.core.common
  - virter.core.common.network_unused
  - virter.core.attributes
  - virter.core.attributes.actiongroup_virter
attributes:
  check_mode:
    support: partial
    details:
      - With O(force) and O(source=url) but no O(checksum), check mode cannot know
        whether the download differs and reports a change.
  diff_mode:
    support: full
  idempotent:
    support: full
notes:
  - A present image is not fetched again unless O(force=true), even when O(url) or
    O(checksum) changed.
  - Needs C(qemu-img) on the machine the module runs on to check downloaded files and to
    save images; without it the checks of the qcow2 header still apply.
seealso:
  - module: virter.core.virter_image_info
  - module: virter.core.virter_layer
'''

EXAMPLES = r'''
- name: Debian 12 from virter's image list
  virter.core.virter_image:
    name: debian-12
    url: debian-12

- name: An image from a URL, verified
  virter.core.virter_image:
    name: alma-9
    url: https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/AlmaLinux-9-GenericCloud-latest.x86_64.qcow2
    checksum: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

- name: Import a qcow2 file and also keep it as one flattened file
  virter.core.virter_image:
    name: my-base
    path: /srv/images/my-base.qcow2
    save_path: /srv/export/my-base-flat.qcow2

- name: Fail unless the image exists
  virter.core.virter_image:
    name: provision:latest
    source: local

- name: Remove an image and the layers only it used
  virter.core.virter_image:
    name: alma-9
    state: absent
'''

RETURN = r'''
image:
  description:
    - The image as it is now (in check mode, as it would be; V(null) where only the real
      run can know). V(null) when it is absent.
  returned: always
  type: dict
  contains:
    name:
      description: Local image name.
      type: str
      sample: debian-12
    top_layer:
      description: Digest of the top layer.
      type: str
      sample: sha256:154db5f4935105992007168284695b63bd3708f85a2ad30bc1c4ab6a594dc17b
    layers:
      description: Digests of all layers, base first.
      type: list
      elements: str
      sample: [sha256:154db5f4935105992007168284695b63bd3708f85a2ad30bc1c4ab6a594dc17b]
    virtual_size:
      description: Virtual disk size in bytes.
      type: int
      sample: 3221225472
    created:
      description: When the top layer was written (UTC, ISO 8601).
      type: str
      sample: "2026-11-27T19:03:00Z"
removed:
  description: With O(state=absent), digests of the layers removed.
  returned: when O(state=absent)
  type: list
  elements: str
  sample: [sha256:154db5f4935105992007168284695b63bd3708f85a2ad30bc1c4ab6a594dc17b]
diff:
  description: The image's V(state) and V(top_layer) before and after.
  returned: always
  type: dict
  contains:
    before:
      description: Before.
      type: dict
    after:
      description: After.
      type: dict
'''

from ansible_collections.virter.core.plugins.module_utils._client import new_module, run
from ansible_collections.virter.core.plugins.module_utils._image import ImageService


def main():
    module = new_module(
        argument_spec={
            "name": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "source": {"type": "str", "choices": ["url", "file", "local"]},
            "url": {"type": "str"},
            "checksum": {"type": "str"},
            "path": {"type": "path"},
            "force": {"type": "bool", "default": False},
            "save_path": {"type": "path"},
        },
        mutually_exclusive=[("url", "path")],
    )

    def action(conn):
        service = ImageService(conn, module.params["pool"], check_mode=module.check_mode,
                               tmpdir=module.tmpdir)
        if module.params["state"] == "absent":
            return service.absent(module.params["name"])
        return service.present(module.params)

    run(module, action)


if __name__ == "__main__":
    main()
