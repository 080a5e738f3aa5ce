# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A layer's bytes from an http(s) URL (store.sources has the user's files).

PRIVATE to the collection: no stable API. The source is opened first (so that a bad
URL fails before anything is written) and then copied once into a local file. Its own
file: Ansible's HTTP client costs an import that only a download needs.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.module_utils.urls import ConnectionError as UrlConnectionError
from ansible.module_utils.urls import SSLValidationError, open_url
from ansible.module_utils.six.moves import http_client
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError

from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput, NotFound, TransferFailed
from ansible_collections.virter.core.plugins.module_utils.store.ingest import LayerSink, pump
from ansible_collections.virter.core.plugins.module_utils._transfer import reason

_NETWORK_ERRORS = (URLError, UrlConnectionError, SSLValidationError, http_client.HTTPException, OSError)


class HttpSource:
    def __init__(self, url, timeout=30):
        self.url = url
        self._timeout = timeout
        self._response = None

    def open(self):
        try:
            # Disk images do not compress on the wire; identity keeps Content-Length.
            self._response = open_url(self.url, headers={"Accept-Encoding": "identity"},
                                      timeout=self._timeout, follow_redirects="safe")
        except HTTPError as exc:
            error = NotFound if exc.code == 404 else InvalidInput
            raise error("cannot download %s: HTTP %d %s" % (self.url, exc.code, exc.reason))
        except _NETWORK_ERRORS as exc:
            raise InvalidInput("cannot download %s: %s" % (self.url, getattr(exc, "reason", exc)))

    def close(self):
        if self._response is not None:
            self._response.close()
            self._response = None

    def copy_into(self, out, on_header):
        length = self._response.headers.get("Content-Length")
        total = int(length) if length is not None and length.isdigit() else None
        sink = LayerSink(out, on_header)

        def read(size):
            # Only the reads: a write error (a full disk) is not the network's.
            try:
                chunk = self._response.read(size)
            except _NETWORK_ERRORS as exc:
                raise TransferFailed("the download of %s" % self.url, sink.size, total, reason(exc))
            if not chunk and total is not None and sink.size < total:
                raise TransferFailed("the download of %s" % self.url, sink.size, total,
                                     "the server closed the connection")
            return chunk

        return pump(read, sink)
