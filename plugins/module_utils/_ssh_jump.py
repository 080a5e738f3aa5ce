# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How the controller reaches a VM of a remote hypervisor: an OpenSSH ProxyCommand
through the host of the libvirt URI, made as libvirt's ssh transport reaches that host
(user, port, keyfile, the `command` binary, `known_hosts`), so whatever lets libvirt in
lets the jump in, with the same host key checks. `no_verify` is not followed: the jump
always checks the hypervisor's host key.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import shlex
from urllib.parse import parse_qs, urlparse

from ansible_collections.virter.core.plugins.module_utils._errors import VirterError

SSH_TRANSPORTS = ("ssh", "libssh", "libssh2")


def is_remote(uri):
    """Whether the URI names a host (libvirt then runs elsewhere)."""
    return bool(urlparse(uri).hostname)


def _transport(parsed):
    return parsed.scheme.partition("+")[2]


def over_ssh(uri):
    """Whether the URI names a host that libvirt reaches over SSH (one to jump through)."""
    parsed = urlparse(uri)
    return bool(parsed.hostname) and _transport(parsed) in SSH_TRANSPORTS


def proxy_argv(uri, target_host="%h", target_port="%p"):
    """The jump as an argument list that connects stdin/stdout to target_host:target_port
    (OpenSSH's %h:%p by default), or None for a local URI. VirterError for a remote URI
    that is not reached over SSH: there is no host to jump through."""
    parsed = urlparse(uri)
    if not parsed.hostname:
        return None
    transport = _transport(parsed)
    if transport not in SSH_TRANSPORTS:
        raise VirterError(
            "VMs of %s cannot be reached from here: libvirt is reached over %s, not SSH, so there is no "
            "SSH jump through the hypervisor; use a qemu+ssh:// URI, run the module on the hypervisor, or "
            "set wait_for: none" % (uri, transport or "its local socket"))
    query = dict((key, values[-1]) for key, values in parse_qs(parsed.query).items())
    argv = [query.get("command", "ssh") if transport == "ssh" else "ssh", "-o", "BatchMode=yes"]
    if parsed.port:
        argv += ["-p", str(parsed.port)]
    if parsed.username:
        argv += ["-l", parsed.username]
    if query.get("keyfile"):
        argv += ["-i", query["keyfile"]]
    if query.get("known_hosts"):
        argv += ["-o", "UserKnownHostsFile=" + query["known_hosts"]]
    return argv + ["-W", "%s:%s" % (target_host, target_port), parsed.hostname]


def proxy_command(uri):
    """The jump as an OpenSSH ProxyCommand string, or None for a local URI."""
    argv = proxy_argv(uri)
    return None if argv is None else " ".join(shlex.quote(arg) for arg in argv)


def proxy_option(uri):
    """`-o ProxyCommand=...` as one word of an ssh command line split by shlex (Ansible's
    ssh_common_args), or '' for a local URI."""
    command = proxy_command(uri)
    return "" if command is None else "-o " + shlex.quote("ProxyCommand=" + command)
