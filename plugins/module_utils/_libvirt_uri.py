# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The scheme of a libvirt URI, driver[+transport], told apart from what libvirt knows.
Pure.

PRIVATE to the collection: no stable API.

Only used to explain a connection libvirt refused: libvirt's own message for a scheme it
has no driver for is about something else (with a host, it tries TLS and reports a
missing CA certificate). The driver list is libvirt's, but a driver of a newer libvirt
should still get its chance, so nothing is refused on this list alone.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

# The URI schemes of libvirt's drivers; `remote` means the daemon's default driver.
DRIVERS = ("bhyve", "ch", "esx", "gsx", "hyperv", "interface", "lxc", "network", "nodedev",
           "nwfilter", "openvz", "parallels", "qemu", "remote", "secret", "storage", "test",
           "vbox", "vmwarefusion", "vmwareplayer", "vmwarews", "vpx", "vz", "xen")
# libvirt's remote transports (its remoteDriverTransport names).
TRANSPORTS = ("tls", "unix", "ssh", "ext", "tcp", "libssh2", "libssh")

_FORM = ("write the URI as driver[+transport]://[user@]host/path, e.g. qemu:///system or "
         "qemu+ssh://root@host/system")


def scheme_problem(uri):
    """What is wrong with the scheme of `uri`, as a sentence, or None when libvirt knows
    its driver and transport (or the URI is empty: libvirt's default)."""
    if not uri:
        return None
    scheme = uri.partition("://")[0].lower() if "://" in uri else ""
    if not scheme:
        return ("%s is not a libvirt URI (nor an alias of libvirt.conf's uri_aliases): %s" % (uri, _FORM))
    driver, _plus, transport = scheme.partition("+")
    if driver not in DRIVERS:
        return ("libvirt has no driver %s: %s, with a driver such as qemu, lxc, xen, ch or test"
                % (driver, _FORM))
    if transport and transport not in TRANSPORTS:
        return ("libvirt has no transport %s: use one of %s, e.g. qemu+ssh://root@host/system"
                % (transport, ", ".join(TRANSPORTS)))
    return None
