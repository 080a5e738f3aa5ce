# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The authenticated connection to one repository of an OCI registry, through oras-py.

PRIVATE to the collection: no stable API.

oras-py does the authentication: Bearer tokens (anonymous or with a password), Basic
auth, and credentials from docker's and podman's auth files. Every request goes through
its authenticated request method (`Registry.do_request`), called without the retry
decorator oras wraps it in: that decorator sleeps 3 + 5 + 11 + 29 + 83 seconds on a
refused connection, an HTTP 500 or a refused password before it gives up.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import traceback

from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.six.moves.urllib.parse import urlparse

from ansible_collections.virter.core.plugins.module_utils._errors import VirterError
from ansible_collections.virter.core.plugins.module_utils._transfer import TRANSPORT_ERRORS, reason

try:
    import oras.auth
    import oras.container
    import oras.provider
    import requests
    from requests.adapters import HTTPAdapter
except ImportError:
    oras = None
    HTTPAdapter = object
    ORAS_IMPORT_ERROR = traceback.format_exc()
else:
    ORAS_IMPORT_ERROR = None

# Seconds to connect, and to wait for the next bytes of an answer.
TIMEOUTS = (15, 300)


class _TimeoutAdapter(HTTPAdapter):
    """oras-py sets no timeout: an unreachable registry would hang the task."""

    def send(self, request, **kwargs):  # pylint: disable=arguments-differ
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = TIMEOUTS
        return super(_TimeoutAdapter, self).send(request, **kwargs)


def auth_files():
    """The auth files that exist, podman's first (containers-auth.json(5)); oras-py
    always adds docker's ~/.docker/config.json."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    candidates = [
        os.environ.get("REGISTRY_AUTH_FILE"),
        runtime and os.path.join(runtime, "containers", "auth.json"),
        os.path.join(config_home, "containers", "auth.json"),
        os.environ.get("DOCKER_CONFIG") and os.path.join(os.environ["DOCKER_CONFIG"], "config.json"),
    ]
    return [path for path in candidates if path and os.path.isfile(path)]


def _error_text(response):
    """The registry's own words from an error answer (OCI error JSON)."""
    try:
        errors = response.json().get("errors") or []
        return "; ".join("%s: %s" % (e.get("code"), e.get("message")) for e in errors if isinstance(e, dict))
    except (ValueError, AttributeError):
        return ""


class RepositorySession:
    """The connection to one repository of one registry: `ref` is a reference.Reference.
    Requests go through `_request`; answers are checked with `_expect`."""

    def __init__(self, ref, username=None, password=None, tls_verify=True):
        if oras is None:
            raise VirterError(missing_required_lib("oras") + " (for registry pull and push)",
                              exception=ORAS_IMPORT_ERROR)
        self.ref = ref
        self._username = username
        self._password = password
        self._verify = tls_verify
        self._oras = None
        self._basic = False
        self._base = None

    def connect(self):
        """Find the scheme the registry answers on and how it wants credentials."""
        if self._oras is not None:
            return
        # http only where docker allows it: a registry on this machine, or insecure.
        schemes = ("https", "http") if (not self._verify or self.ref.is_local()) else ("https",)
        failed = []
        for scheme in schemes:
            registry = oras.provider.Registry(hostname=self.ref.registry, insecure=scheme == "http",
                                              tls_verify=self._verify)
            for prefix in ("http://", "https://"):
                registry.session.mount(prefix, _TimeoutAdapter())
            url = "%s://%s/v2/" % (scheme, self.ref.registry)
            try:
                response = registry.session.get(url, verify=self._verify)
            except requests.exceptions.SSLError as exc:
                if self._verify and "certificate" in str(exc).lower():
                    raise VirterError("the TLS certificate of registry %s cannot be verified (%s); for a "
                                      "registry with a self-signed certificate set registry_tls_verify: "
                                      "false" % (self.ref.registry, reason(exc)))
                failed.append("%s: %s" % (scheme, reason(exc)))
                continue
            except requests.exceptions.RequestException as exc:
                failed.append("%s: %s" % (scheme, reason(exc)))
                continue
            response.close()
            self._use(registry, scheme, response)
            return
        raise VirterError("cannot reach registry %s (%s)" % (self.ref.registry, "; ".join(failed)))

    def _use(self, registry, scheme, ping):
        challenge = ping.headers.get("Www-Authenticate", "")
        if ping.status_code == 401 and challenge.lower().startswith("basic"):
            registry.auth = oras.auth.get_auth_backend("basic", registry.session, scheme == "http",
                                                       tls_verify=self._verify)
            self._basic = True
        if self._username is not None:
            registry.auth.set_basic_auth(self._username, self._password or "")
        else:
            # Only the registry host matters to the auth file lookup.
            registry.auth.load_configs(oras.container.Container("virter", registry=self.ref.registry),
                                       configs=auth_files())
        if self._basic and not getattr(registry.auth, "_basic_auth", None):
            raise VirterError(self._no_credentials())
        self._oras = registry
        self._base = "%s://%s/v2/%s/" % (scheme, self.ref.registry, self.ref.repository)

    def _no_credentials(self):
        return ("registry %s asks for credentials: set registry_username and registry_password, or "
                "log in with docker login / podman login" % self.ref.registry)

    def _refused(self):
        if self._username is None and not getattr(self._oras.auth, "_basic_auth", None):
            return self._no_credentials()
        return "registry %s refused the credentials for %s" % (self.ref.registry, self.ref.repository)

    def _request(self, method, url, headers=None, fault=None, **kwargs):
        """oras-py's authenticated request, without its retry-with-sleeps decorator.
        `fault(exc)`: the error to raise when the connection fails (default: which
        request failed)."""
        headers = dict(headers or {})
        if self._basic:
            # Sent up front: a streamed body cannot be sent twice after a 401.
            headers.update(self._oras.auth.get_auth_header())
        do_request = getattr(oras.provider.Registry.do_request, "__wrapped__",
                             oras.provider.Registry.do_request)
        try:
            response = do_request(self._oras, url, method, headers=headers, **kwargs)
        except TRANSPORT_ERRORS as exc:
            if fault is not None:
                raise fault(exc)
            raise VirterError("registry %s: %s %s failed: %s" % (
                self.ref.registry, method, urlparse(url).path, reason(exc)))
        except ValueError:
            # oras-py: "Cannot respond to request for authentication."
            raise VirterError(self._refused())
        if response.status_code == 401:
            response.close()
            raise VirterError(self._refused())
        if response.status_code == 403:
            detail = _error_text(response) or "HTTP 403"
            response.close()
            raise VirterError("registry %s denies access to %s: %s" % (
                self.ref.registry, self.ref.repository, detail))
        return response

    def _expect(self, response, codes, what):
        if response.status_code in codes:
            return response
        detail = _error_text(response) or response.reason
        response.close()
        raise VirterError("registry %s: %s failed: HTTP %d %s" % (
            self.ref.registry, what, response.status_code, detail))
