# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a dropped connection raises on the way to the collection, and its cause in a
few words.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.module_utils.six.moves import http_client

try:
    import requests
    import urllib3
except ImportError:
    _LIBRARY_ERRORS = ()  # no registry access without them (reported by registry.session)
else:
    _LIBRARY_ERRORS = (requests.exceptions.RequestException, urllib3.exceptions.HTTPError)

# A request through requests (ConnectionError, ChunkedEncodingError, timeouts), a raw
# read of a streamed answer (urllib3's ProtocolError, ReadTimeoutError), http.client
# (IncompleteRead, RemoteDisconnected) and the socket itself (ConnectionResetError,
# timeouts) -- the library that raises depends on where the transfer was cut.
TRANSPORT_ERRORS = _LIBRARY_ERRORS + (http_client.HTTPException, OSError)


def reason(exc):
    """The innermost cause of a transport error, in its own words: 'IncompleteRead(1048176
    bytes read, 2101061 more expected)', 'Remote end closed connection without response'."""
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = [arg for arg in getattr(exc, "args", ()) if isinstance(arg, BaseException)]
        cause = getattr(exc, "reason", None)
        if isinstance(cause, BaseException):
            inner.append(cause)
        following = inner[-1] if inner else exc.__cause__
        if following is None:
            break
        exc = following
    return str(exc) or type(exc).__name__
