# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What libvirt and dnsmasq say when a network cannot be defined or started, as one
sentence for the playbook author. Pure: messages in, sentences out.

PRIVATE to the collection: no stable API. Models are the dicts of network_xml.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress
import os.path
import re

BRIDGE_ADVICE = "choose another bridge name, or leave bridge unset so that libvirt picks a free one"
OPTION_ADVICE = ("give each option as a line of dnsmasq.conf without the leading '--', e.g. log-dhcp "
                 "or dhcp-option=option:ntp-server,192.168.250.1")

_CHILD = re.compile(r"Child process \((.*?)\) unexpected exit status (\d+):?(.*)", re.S)
_AT_LINE = re.compile(r"(.*) at line (\d+) of \S+$")


def explain(desired, message):
    """libvirt's `message` when network `desired` was not defined or did not start -> a
    sentence that says what is wrong and what to do, or None when libvirt's own message
    is the best there is."""
    name = desired["name"]
    match = re.search(r"bridge name '([^']+)' already in use", message)
    if match:
        return "bridge %s is the bridge of another network already: %s" % (match.group(1), BRIDGE_ADVICE)
    match = re.search(r"error creating bridge interface (\S+): File exists", message)
    if match:
        return ("bridge %s cannot be made: the hypervisor has an interface of that name already; %s"
                % (match.group(1), BRIDGE_ADVICE))
    match = re.search(r"Network is already in use by interface (\S+)", message)
    if match:
        subnet = ipaddress.ip_interface(desired["cidr"]).network
        return ("network %s cannot start: its subnet %s is in use by interface %s of the hypervisor "
                "already; choose another cidr, or remove that address from %s"
                % (name, subnet, match.group(1), match.group(1)))
    match = _CHILD.search(message)
    if match:
        return _child_failure(desired, match.group(1), match.group(2), match.group(3))
    return None


def refused_options(options, output):
    """What `dnsmasq --test` says of a file with `options` (one a line) -> a sentence."""
    reason = _dnsmasq_reason(output)
    match = _AT_LINE.match(reason)
    if match and 1 <= int(match.group(2)) <= len(options):
        return "dnsmasq option %r is refused by dnsmasq (%s): %s" % (
            options[int(match.group(2)) - 1], match.group(1), OPTION_ADVICE)
    return "dnsmasq refuses dnsmasq_options (%s): %s" % (reason, OPTION_ADVICE)


def _child_failure(desired, command, status, output):
    """A helper program of libvirt (dnsmasq, iptables, ...) failed: its name, not its
    command line, and what it said."""
    name = desired["name"]
    words = command.split()
    program = next((os.path.basename(word) for word in words if "=" not in word), "a helper program")
    if program != "dnsmasq":
        return "network %s cannot start: %s exited with status %s (%s)" % (
            name, program, status, _lines(output) or "no output")
    reason = _dnsmasq_reason(output)
    match = re.match(r"failed to create listening socket for (\S+): Address already in use", reason)
    if match:
        return ("network %s cannot start: address %s is in use by another DNS or DHCP server on the "
                "hypervisor already; stop that server or choose another cidr (dnsmasq: %s)"
                % (name, match.group(1), reason))
    if _AT_LINE.match(reason) and desired.get("dnsmasq_options"):
        return ("network %s cannot start: dnsmasq refuses its configuration (%s); check dnsmasq_options: %s"
                % (name, reason, OPTION_ADVICE))
    return "network %s cannot start: dnsmasq does not start (%s)" % (name, reason or "exit status %s" % status)


def _lines(text):
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())


def _dnsmasq_reason(output):
    """dnsmasq's complaint without its 'dnsmasq: ' prefix."""
    return _lines(re.sub(r"^dnsmasq:\s*", "", output, flags=re.M))
