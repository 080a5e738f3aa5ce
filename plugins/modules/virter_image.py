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
  - Runs that import, pull, commit or save the same image at the same time, from one
    controller or several, take turns through a lock volume
    C(virter-core-lock:image:<name>) in the pool. A run that waited finds the image the
    other one made and reports no change (unless O(force) is set). The lock of a killed
    run is taken over at once from the same machine, after a minute from others.
    A run that finds the image already there, and O(state=absent), remove the lock of
    a killed run of the same machine; that alone is not reported as a change.
    M(virter.core.virter_layer) with O(virter.core.virter_layer#module:state=pruned)
    removes those of other machines.
  - Pulls images from and pushes them to OCI registries in virter's format, so images
    pushed by virter are pulled here and the other way round.
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
      - V(url) downloads O(url); V(file) imports the qcow2 file O(path); V(vm) commits
        the VM O(vm); V(registry) pulls O(ref); V(local) only checks that the image exists.
      - Default is V(url) when O(url) is given, V(file) when O(path) is given, V(vm)
        when O(vm) is given, V(registry) when O(ref) is given, else V(local).
    type: str
    choices: [url, file, vm, registry, local]
  vm:
    description:
      - O(source=vm) commits this VM (made by M(virter.core.virter_vm) or virter) to the
        image. If the image exists and O(force) is not set, nothing happens and the VM
        is left alone.
      - Otherwise the VM is shut down (O(shutdown)), its boot overlay becomes a layer on
        top of its image (read once; moved into place when the pool is local), the tag is
        written, and the VM's domain, cloud-init volume, extra disks and DHCP host entry
        are removed. An interrupted commit is finished by a rerun.
      - Reset C(/etc/machine-id) in the VM first if VMs from the image should get new
        ones (the C(virter.core.image_build) role does).
    type: str
  shutdown:
    description:
      - With O(source=vm), shut a running VM down (ACPI) before the commit. Without it,
        committing a running VM fails.
    type: bool
    default: true
  shutdown_timeout:
    description: Seconds the VM may take to shut down; the commit fails after that (the VM is not stopped hard).
    type: int
    default: 60
  static_dhcp:
    description:
      - With O(source=vm), keep the VM's DHCP host entry (pre-made entries, see
        M(virter.core.virter_vm) O(virter.core.virter_vm#module:static_dhcp)).
      - If not set, the environment variable E(VIRTER_LIBVIRT_STATIC_DHCP) is used.
    type: bool
    default: false
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
  ref:
    description:
      - O(source=registry) - the registry reference to pull, V(<host>[:<port>]/<repository>[:<tag>])
        or V(<host>[:<port>]/<repository>@sha256:<hex>), such as V(localhost:5000/lab/debian:12).
        The tag defaults to V(latest).
      - The first part must name a host (it holds a V(.) or a V(:), or is V(localhost)).
      - Only virter images are accepted (config media type
        C(application/vnd.com.linbit.virter.image.v1), layers
        C(application/vnd.com.linbit.virter.layer.v1.qcow2.gzip) or this collection's
        C(application/vnd.com.linbit.virter.layer.v1.qcow2.zstd)). Layers whose diff id
        is in the pool are not downloaded; every blob's digest and every layer's diff id
        is checked while it streams in, and the tag is written last.
      - It is also where O(push) goes when O(push_ref) is not given.
    type: str
  push:
    description:
      - Push the local image to O(push_ref) after making it present, in virter's format (a
        Docker v2 manifest with virter's config and layer media types).
      - Nothing is sent when the registry's manifest under O(push_ref) already lists the
        same layers (diff ids) compressed with O(compression); the result is then not
        changed.
      - Layers are compressed while they are read and uploaded as they are compressed; no
        layer is held in memory. Layers that the image under O(push_ref) had before are
        not sent again while the registry has their blobs.
    type: bool
    default: false
  push_ref:
    description:
      - Where O(push) goes, a registry reference as for O(ref).
      - Defaults to O(ref), else to O(name) when O(name) is a registry reference (as
        C(virter image push) does).
    type: str
  compression:
    description:
      - Layer compression for O(push).
      - V(gzip) is virter's format, written as gzip members of 16 MiB of data each,
        compressed in parallel at level 1 (the bytes do not depend on the number of
        threads; any gzip reader, virter's included, reads them).
      - V(zstd) (level 1, multi-threaded) is faster to compress and to decompress, with
        media type C(application/vnd.com.linbit.virter.layer.v1.qcow2.zstd).
        B(virter cannot pull such images); this collection can. Needs the Python package
        C(zstandard).
      - A pull reads either, whatever this option says.
    type: str
    choices: [gzip, zstd]
    default: gzip
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
  - virter.core.common.registry
  - virter.core.attributes
  - virter.core.attributes.actiongroup_virter
attributes:
  check_mode:
    support: partial
    details:
      - With O(force) and O(source=url) but no O(checksum), check mode cannot know
        whether the download differs and reports a change.
      - A new image's top layer in the diff is known in check mode for O(source=file) (the
        file is read) and with O(checksum); otherwise, and for O(source=vm), it is V(null).
      - O(source=registry) and O(push) read the registry's manifest and config in check
        mode, so their predictions are exact; the digest of a manifest that is not yet
        pushed is V(null).
  diff_mode:
    support: full
  idempotent:
    support: full
notes:
  - A present image is not fetched again unless O(force=true), even when O(url) or
    O(checksum) changed.
  - Needs C(qemu-img) on the machine the module runs on to check downloaded files and to
    save images; without it the checks of the qcow2 header still apply.
  - A download, pull or push whose connection breaks off fails, saying what it was
    transferring and how far it got; the layers a failed pull or download added are
    removed and a failed push changes no tag, so running the task again retries it.
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

- name: Commit a provisioned VM to a new image (the VM is shut down and removed)
  virter.core.virter_image:
    name: web-base
    vm: web-build

- name: Pull an image from a registry (stored as lab--debian-12)
  virter.core.virter_image:
    name: lab--debian-12
    ref: registry.example.com/lab/debian:12

- name: Push a local image to a registry on this machine, with the faster zstd layers
  virter.core.virter_image:
    name: web-base
    push: true
    push_ref: localhost:5000/lab/web-base:1
    compression: zstd

- name: Push with credentials to a registry with a self-signed certificate
  virter.core.virter_image:
    name: web-base
    push: true
    push_ref: registry.lab.example:5000/lab/web-base:1
    registry_username: builder
    registry_password: "{{ vault_registry_password }}"
    registry_tls_verify: false

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
pushed:
  description:
    - With O(push), where the image went and the digest of its manifest there (V(null)
      in check mode when the push has not happened yet).
  returned: when O(push=true)
  type: dict
  contains:
    ref:
      description: The registry reference pushed to.
      type: str
      sample: localhost:5000/lab/web-base:1
    digest:
      description: Digest of the manifest in the registry.
      type: str
      sample: sha256:3d9f1ad1e4b5c9d1c1f5d1e9b4ac7c3f7d0d84f1a2e6b3f18e2a5e0b9c7d6a41
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

from ansible.module_utils.basic import env_fallback

from ansible_collections.virter.core.plugins.module_utils._ansible_module import REGISTRY_ARGUMENT_SPEC, new_module, run
from ansible_collections.virter.core.plugins.module_utils.image.service import ImageService
from ansible_collections.virter.core.plugins.module_utils.vm.commit import VmCommit


def main():
    module = new_module(
        argument_spec={
            "name": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "source": {"type": "str", "choices": ["url", "file", "vm", "registry", "local"]},
            "vm": {"type": "str"},
            "shutdown": {"type": "bool", "default": True},
            "shutdown_timeout": {"type": "int", "default": 60},
            "static_dhcp": {"type": "bool", "default": False,
                            "fallback": (env_fallback, ["VIRTER_LIBVIRT_STATIC_DHCP"])},
            "url": {"type": "str"},
            "checksum": {"type": "str"},
            "path": {"type": "path"},
            "force": {"type": "bool", "default": False},
            "save_path": {"type": "path"},
            "ref": {"type": "str"},
            "push": {"type": "bool", "default": False},
            "push_ref": {"type": "str"},
            "compression": {"type": "str", "choices": ["gzip", "zstd"], "default": "gzip"},
            **REGISTRY_ARGUMENT_SPEC,
        },
        mutually_exclusive=[("url", "path", "vm", "ref")],
    )

    def action(conn):
        service = ImageService(conn, module.params["pool"], check_mode=module.check_mode,
                               tmpdir=module.tmpdir, vm_commit=VmCommit)
        if module.params["state"] == "absent":
            return service.absent(module.params["name"])
        return service.present(module.params)

    run(module, action)


if __name__ == "__main__":
    main()
