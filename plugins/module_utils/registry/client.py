# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading and writing one repository of an OCI registry: manifests and blobs.

PRIVATE to the collection: no stable API.

Done here, because oras-py does not do it: manifests of media type Docker v2, digests
verified on every read, and blob uploads streamed (POST, one chunked PATCH, PUT with
the digest computed while the bytes went out), so a layer is compressed and sent in one
pass and never held whole in memory. The connection and its authentication are
session.RepositorySession's.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import hashlib

from ansible.module_utils.six.moves.urllib.parse import urlencode, urljoin, urlparse, urlunparse

from ansible_collections.virter.core.plugins.module_utils._digest import digest_of, sha256_digest
from ansible_collections.virter.core.plugins.module_utils._errors import (
    InvalidInput,
    NotFound,
    TransferFailed,
    VirterError,
)
from ansible_collections.virter.core.plugins.module_utils.registry.oci import ACCEPT, DOCKER_MANIFEST, MAX_MANIFEST
from ansible_collections.virter.core.plugins.module_utils.registry.session import RepositorySession
from ansible_collections.virter.core.plugins.module_utils._transfer import TRANSPORT_ERRORS, reason


class RegistryClient(RepositorySession):
    """Manifests and blobs of one repository of one registry."""

    # -- reading ----------------------------------------------------------------------

    def manifest(self):
        """(body, content type, digest) of the manifest `ref` names, or None if the
        registry does not have it."""
        self.connect()
        response = self._request("GET", self._base + "manifests/" + self.ref.reference,
                                 headers={"Accept": ACCEPT}, stream=True)
        if response.status_code == 404:
            response.close()
            return None
        self._expect(response, (200,), "get the manifest of %s" % self.ref)
        with response:
            body = self._read_small(response, MAX_MANIFEST, "the manifest of %s" % self.ref)
        if len(body) > MAX_MANIFEST:
            raise InvalidInput("the manifest of %s is larger than %d bytes: not a virter image" % (
                self.ref, MAX_MANIFEST))
        digest = sha256_digest(body)
        if self.ref.digest and digest != self.ref.digest:
            raise InvalidInput("the registry sent a manifest with digest %s for %s" % (digest, self.ref))
        return body, response.headers.get("Content-Type"), digest

    def blob(self, digest):
        """The streamed answer for blob `digest` (the caller closes it)."""
        self.connect()
        response = self._request("GET", self._base + "blobs/" + digest, stream=True)
        if response.status_code == 404:
            response.close()
            raise NotFound("registry %s has no blob %s in %s" % (self.ref.registry, digest, self.ref.repository))
        return self._expect(response, (200,), "get blob %s" % digest)

    def small_blob(self, digest, size, limit):
        """A small blob (a config) read whole, its digest and size checked."""
        if size > limit:
            raise InvalidInput("blob %s of %s has %d bytes, more than the %d a virter config has" % (
                digest, self.ref, size, limit))
        with self.blob(digest) as response:
            data = self._read_small(response, limit, "blob %s of %s" % (digest, self.ref), size)
        found = sha256_digest(data)
        if found != digest or len(data) != size:
            raise InvalidInput("blob %s of %s is corrupt: its %d bytes have digest %s" % (
                digest, self.ref, len(data), found))
        return data

    def _read_small(self, response, limit, what, size=None):
        """At most `limit` + 1 bytes of a streamed answer."""
        body = bytearray()
        try:
            while len(body) <= limit:
                chunk = response.raw.read(limit + 1 - len(body), decode_content=True)
                if not chunk:
                    break
                body += chunk
        except TRANSPORT_ERRORS as exc:
            raise TransferFailed("the download of %s from registry %s" % (what, self.ref.registry),
                                 len(body), size, reason(exc))
        return bytes(body)

    def has_blob(self, digest):
        self.connect()
        response = self._request("HEAD", self._base + "blobs/" + digest)
        response.close()
        if response.status_code == 404:
            return False
        self._expect(response, (200,), "look up blob %s" % digest)
        return True

    # -- writing ----------------------------------------------------------------------

    def upload(self, chunks, what):
        """Upload the blob made of `chunks` (an iterable of bytes) as it is produced:
        one chunked PATCH, then PUT with the digest computed on the way. `what` names
        the blob for the message of a broken upload. Returns (digest, size)."""
        self.connect()
        started = self._request("POST", self._base + "blobs/uploads/", headers={"Content-Length": "0"})
        self._expect(started, (202,), "start a blob upload to %s" % self.ref.repository)
        session = urljoin(started.url, started.headers.get("Location", ""))
        sha = hashlib.sha256()
        sent = [0]

        def hashed():
            for chunk in chunks:
                sha.update(chunk)
                sent[0] += len(chunk)
                yield chunk

        def broken(exc):
            return TransferFailed("the upload of %s to registry %s" % (what, self.ref.registry), sent[0], None,
                                  reason(exc))

        try:
            patched = self._request("PATCH", session, data=hashed(), fault=broken,
                                    headers={"Content-Type": "application/octet-stream"})
            self._expect(patched, (202,), "upload a blob to %s" % self.ref.repository)
            session = urljoin(patched.url, patched.headers.get("Location", ""))
            digest = digest_of(sha)
            done = self._request("PUT", _with_query(session, digest=digest), headers={"Content-Length": "0"})
            self._expect(done, (201,), "finish blob %s" % digest)
        except BaseException:
            self._cancel(session)
            raise
        return digest, sent[0]

    def upload_bytes(self, data):
        """Upload a small blob (a config) in one request. Returns its digest."""
        digest = sha256_digest(data)
        self.connect()
        started = self._request("POST", self._base + "blobs/uploads/", headers={"Content-Length": "0"})
        self._expect(started, (202,), "start a blob upload to %s" % self.ref.repository)
        session = urljoin(started.url, started.headers.get("Location", ""))
        done = self._request("PUT", _with_query(session, digest=digest), data=data,
                             headers={"Content-Type": "application/octet-stream"})
        self._expect(done, (201,), "upload blob %s" % digest)
        return digest

    def put_manifest(self, body):
        """Store `body` (a Docker v2 manifest) under the reference's tag. Returns its digest."""
        digest = sha256_digest(body)
        self.connect()
        response = self._request("PUT", self._base + "manifests/" + self.ref.reference, data=body,
                                 headers={"Content-Type": DOCKER_MANIFEST})
        self._expect(response, (200, 201), "store the manifest of %s" % self.ref)
        stored = response.headers.get("Docker-Content-Digest")
        if stored and stored != digest:
            raise VirterError("registry %s stored the manifest of %s as %s, not as %s" % (
                self.ref.registry, self.ref, stored, digest))
        return digest

    def _cancel(self, session):
        """Drop an unfinished upload; the registry would expire it anyway."""
        try:
            self._request("DELETE", session).close()
        except VirterError:
            pass


def _with_query(url, **params):
    parts = list(urlparse(url))
    parts[4] = "&".join(filter(None, (parts[4], urlencode(params))))
    return urlunparse(parts)


def client_for(ref, params):
    """A client for Reference `ref` with the module's registry options."""
    return RegistryClient(ref, params.get("registry_username"), params.get("registry_password"),
                          params.get("registry_tls_verify", True))
