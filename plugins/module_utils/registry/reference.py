# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Registry references (`localhost:5000/lab/debian:12`) parsed and checked (pure).

PRIVATE to the collection: no stable API.

The grammar is the distribution project's. A reference needs a registry host: as in
virter, the first path component names a host only when it holds a '.' or a ':' or is
`localhost`. Names without one are local image names, not references.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress
import re

from ansible_collections.virter.core.plugins.module_utils._digest import is_digest
from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput

_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
                   r"|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")

# Docker Hub's names and the host its API answers on.
_DOCKER_HUB = ("docker.io", "index.docker.io")
_DOCKER_HUB_API = "registry-1.docker.io"


class Reference:
    """`registry` is the host[:port] the API answers on; `tag` is None when the
    reference names a digest. (Not a tuple: it is formatted with %.)"""

    def __init__(self, registry, repository, tag, digest):
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest

    @property
    def reference(self):
        """What the manifest URL ends with: the digest, else the tag."""
        return self.digest or self.tag

    def __str__(self):
        return "%s/%s%s" % (self.registry, self.repository,
                            "@" + self.digest if self.digest else ":" + self.tag)

    def is_local(self):
        """A registry on this machine (loopback or localhost): plain http is allowed,
        as docker and go-containerregistry allow it."""
        host = self.registry
        if host.startswith("["):
            host = host[1:host.index("]")]
        else:
            host = host.rsplit(":", 1)[0]
        if host == "localhost" or host.endswith(".localhost"):
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False


def parse_reference(ref, option="ref"):
    """Reference of `ref`, or InvalidInput that says what is wrong with it."""
    if not isinstance(ref, str) or not ref:
        raise InvalidInput("%s must be a registry reference such as localhost:5000/lab/debian:12" % option)
    host, sep, rest = ref.partition("/")
    if not sep or not ("." in host or ":" in host or host == "localhost"):
        raise InvalidInput("%s %s has no registry host: write it as <host>[:<port>]/<repository>[:<tag>], "
                           "such as localhost:5000/lab/debian:12" % (option, ref))
    if not _HOST.match(host):
        raise InvalidInput("%s %s: %r is not a valid registry host" % (option, ref, host))
    repository, at, digest = rest.partition("@")
    tag = None
    if at:
        if not is_digest(digest):
            raise InvalidInput("%s %s: the digest must be sha256:<64 hex digits>" % (option, ref))
    else:
        digest = None
        slash, colon = repository.rfind("/"), repository.rfind(":")
        if colon > slash:
            repository, tag = repository[:colon], repository[colon + 1:]
            if not _TAG.match(tag):
                raise InvalidInput("%s %s: %r is not a valid tag" % (option, ref, tag))
        else:
            tag = "latest"
    if not repository or not all(_COMPONENT.match(part) for part in repository.split("/")):
        raise InvalidInput("%s %s: the repository %r must be lowercase letters, digits and "
                           "separators (. _ __ -) in /-separated parts" % (option, ref, repository))
    if host in _DOCKER_HUB:
        host = _DOCKER_HUB_API
        if "/" not in repository:
            repository = "library/" + repository
    return Reference(host, repository, tag, digest)
