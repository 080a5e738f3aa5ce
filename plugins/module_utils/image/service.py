# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The image service behind virter_image: make an image present (from a URL, a file
or the pool itself), save it as one file, or remove it with the layers only it used.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import hashlib
import os

from ansible_collections.virter.core.plugins.module_utils.image import image_lists
from ansible_collections.virter.core.plugins.module_utils._addressing import validate_name
from ansible_collections.virter.core.plugins.module_utils._digest import digest_of
from ansible_collections.virter.core.plugins.module_utils._diff import DifferenceTracker
from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput, NotFound
from ansible_collections.virter.core.plugins.module_utils._libvirt import CHUNK
from ansible_collections.virter.core.plugins.module_utils.image.lock import clear_ended, held_image
from ansible_collections.virter.core.plugins.module_utils.store.layer_import import LayerImporter
from ansible_collections.virter.core.plugins.module_utils.registry.reference import parse_reference
from ansible_collections.virter.core.plugins.module_utils.store.sources import FileSource
from ansible_collections.virter.core.plugins.module_utils.store.store import Store
from ansible_collections.virter.core.plugins.module_utils.store.names import (
    kind,
    local_image_name,
    tag_volume,
    validate_digest,
)


class ImageService:
    """`vm_commit(conn, importer, vm)` makes what commits a VM (source vm): an object with
    check(allow_shutdown), run(shutdown_timeout, release_dhcp) -> layer digest, finish().
    The VM code provides it, so image code does not depend on it."""

    def __init__(self, conn, pool, check_mode=False, tmpdir=None, local_io=True, vm_commit=None):
        self.conn = conn
        self.vm_commit = vm_commit
        self.store = Store(conn, pool)
        self.check_mode = check_mode
        self.importer = LayerImporter(self.store, tmpdir, local_io)

    def present(self, params):
        request = _Request(params)
        before = self.store.image(request.name)
        fetch, save, commit = self._needs(request, params, before)
        if (fetch or save) and not self.check_mode:
            with held_image(self.store, request.name):
                # As the run this one waited for left it: only what is still missing.
                before = self.store.image(request.name)
                fetch, save, commit = self._needs(request, params, before)
                after = self._fetch(request, params, before, commit) if fetch else before
                if save:
                    self.importer.save(request.name, request.save_path)
        elif fetch:
            after = self._predict(request, params, before)
        else:
            after = before
            if not self.check_mode:
                # A run killed after making the image left its lock; housekeeping only,
                # so it does not count as a change.
                clear_ended(self.store, request.name)
        diff = _diff(before, after)
        result = {"changed": diff.changed or bool(save), "image": after,
                  "diff": diff.get_before_after()}
        if request.push_ref is not None:
            # Here only: the registry client's imports cost more than an import from a file.
            from ansible_collections.virter.core.plugins.module_utils.registry.push import push_image
            pushed, result["pushed"] = push_image(self.store, after and after["layers"], request.push_ref,
                                                  params, self.check_mode, self.importer.local_io)
            result["changed"] = result["changed"] or pushed
        return result

    def _needs(self, request, params, before):
        """(fetch?, save?, the vm_commit of a commit) for the image as it is (`before`),
        checked before anything changes."""
        if before is None and request.source == "local":
            raise NotFound("image %s does not exist in pool %s; give url or path to fetch it" % (
                request.name, self.store.pool_name))
        fetch = request.source != "local" and (before is None or params["force"])
        commit = None
        if fetch:
            request.check_source()
        if fetch and request.source == "vm":
            commit = self.vm_commit(self.conn, self.importer, request.vm)
            commit.check(params["shutdown"])
        save = bool(request.save_path) and (params["force"] or not os.path.exists(request.save_path))
        return fetch, save, commit

    def _fetch(self, request, params, before, commit):
        """The image after fetching it from its source."""
        if request.source == "registry":
            return self._pull(request, before, params)
        if commit is not None:
            self.store.make_tag(request.name, commit.run(params["shutdown_timeout"], not params["static_dhcp"]))
            commit.finish()
            return self.store.image(request.name)
        source = request.open_source()
        try:
            top = self.importer.import_layer(request.name, source, request.checksum).digest
        finally:
            source.close()
        self.store.make_tag(request.name, top)
        return self.store.image(request.name)

    def _predict(self, request, params, before):
        """The image a fetch would give (check mode)."""
        if request.source == "registry":
            return self._pull(request, before, params)
        # The top layer is known without fetching for a file or a checksum; a re-fetch
        # changes the image only if its top layer is new (a commit always makes a new one).
        predicted = request.predicted_top()
        if before is None or predicted != before["top_layer"]:
            return {"name": request.name, "top_layer": predicted, "layers": None,
                    "virtual_size": None, "created": None}
        return before

    def _pull(self, request, before, params):
        """The image after a registry pull (in check mode, as the registry says it
        would be)."""
        from ansible_collections.virter.core.plugins.module_utils.registry.pull import pull_image

        after = pull_image(self.store, self.importer, request.ref, request.name, params, self.check_mode)
        if self.check_mode and before is not None and before["top_layer"] == after["top_layer"]:
            return before
        return after

    def absent(self, name):
        name = local_image_name(name)
        before = self.store.image(name)
        removed = []
        if before is not None:
            removed = self.store.graph().removal([tag_volume(name)])
            if not self.check_mode:
                self.store.delete(removed)
        if not self.check_mode:
            clear_ended(self.store, name)
        diff = _diff(before, None)
        return {"changed": diff.changed, "image": None,
                "removed": [kind(vol)[1] for vol in removed if kind(vol)[0] == "layer"],
                "diff": diff.get_before_after()}


def _diff(before, after):
    diff = DifferenceTracker()
    diff.add("state", "absent" if before is None else "present", "absent" if after is None else "present")
    diff.add("top_layer", before and before["top_layer"], after and after["top_layer"])
    return diff


class _Request:
    """The options of a present request, checked before anything changes."""

    def __init__(self, params):
        self.name = local_image_name(params["name"])
        self.url = params["url"]
        self.path = params["path"]
        self.vm = params["vm"]
        self.ref = params["ref"]
        self.source = params["source"] or (
            "url" if self.url else "file" if self.path else "vm" if self.vm else
            "registry" if self.ref else "local")
        self.checksum = params["checksum"]
        self.save_path = params["save_path"] and os.path.abspath(params["save_path"])
        wanted = {"url": "url", "file": "path", "vm": "vm", "registry": "ref"}.get(self.source)
        for option, value in (("url", self.url), ("path", self.path), ("vm", self.vm), ("ref", self.ref)):
            if value and option != wanted:
                raise InvalidInput("%s is not used with source %s" % (option, self.source))
        if wanted and not (self.url or self.path or self.vm or self.ref):
            raise InvalidInput("source %s needs the option %s" % (self.source, wanted))
        if self.source != "local":
            validate_name(self.name, "image name")
        if self.checksum is not None:
            if self.source in ("local", "vm", "registry"):
                raise InvalidInput("checksum is not used with source %s" % self.source)
            validate_digest(self.checksum, "checksum")
        if self.save_path:
            folder = os.path.dirname(self.save_path)
            if not os.path.isdir(folder):
                raise InvalidInput("save_path %s: the directory %s does not exist" % (self.save_path, folder))
            if os.path.isdir(self.save_path):
                raise InvalidInput("save_path %s is a directory" % self.save_path)
        if self.ref:
            self.ref = parse_reference(self.ref, "ref")
        self.push_ref = _push_ref(params)

    def check_source(self):
        """Before a fetch only: an image that exists is not fetched, so its source may be
        gone (the file deleted, the short name no longer in images.toml)."""
        if self.source == "url":
            self.url = _resolve_url(self.url)
        if self.source == "file":
            FileSource(self.path).open()

    def open_source(self):
        if self.source == "url":
            # Here only: Ansible's HTTP client is not needed for a file.
            from ansible_collections.virter.core.plugins.module_utils.store.http_source import HttpSource
            source = HttpSource(self.url)
        else:
            source = FileSource(self.path)
        source.open()
        return source

    def predicted_top(self):
        """The top layer a fetch would give, when it can be known without fetching:
        the checksum of a download, the digest of a file (a read, no write)."""
        if self.checksum:
            return self.checksum
        if self.source == "file":
            sha = hashlib.sha256()
            with open(self.path, "rb") as src:
                for chunk in iter(lambda: src.read(CHUNK), b""):
                    sha.update(chunk)
            return digest_of(sha)
        return None


def _push_ref(params):
    """Where push goes: push_ref, else ref, else the name when it is a reference
    (as in virter image push)."""
    if not params["push"]:
        if params["push_ref"]:
            raise InvalidInput("push_ref is used only with push: true")
        return None
    target = params["push_ref"] or params["ref"]
    if target:
        return parse_reference(target, "push_ref" if params["push_ref"] else "ref")
    if local_image_name(params["name"]) != params["name"]:
        return parse_reference(params["name"], "name")
    raise InvalidInput("push: true needs push_ref (or ref, or a registry reference as name)")


def _resolve_url(url):
    if url.startswith(("http://", "https://")):
        return url
    if "://" in url:
        raise InvalidInput("url %s: only http:// and https:// URLs can be fetched" % url)
    return image_lists.lookup(url)
