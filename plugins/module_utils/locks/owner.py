# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Who holds a lock: a line naming this process, and whether the process a line names
has ended.

PRIVATE to the collection: no stable API.

Only a process of this machine (its boot) and of this PID namespace can be judged, by
its start time, so that a reused PID does not pass for it. Of any other the answer is
"not known to have ended".
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os


def record():
    """This process, as one line of bytes to keep in a lock."""
    pid = os.getpid()
    line = json.dumps({"host": _host(), "pid": pid, "start": _start_time(pid)}, sort_keys=True)
    return (line + "\n").encode("ascii")


def ended(data):
    """True when `data` (what a lock holds) names a process of this machine and PID
    namespace that is no longer running."""
    try:
        owner = json.loads(data.split(b"\n", 1)[0].decode("ascii"))
    except ValueError:  # empty, not written yet, or not a record
        return False
    if not isinstance(owner, dict) or not isinstance(owner.get("pid"), int) or owner.get("start") is None:
        return False
    host = _host()
    return host is not None and owner.get("host") == host and _start_time(owner["pid"]) != owner["start"]


def _host():
    """This boot of this machine and this PID namespace, None where it cannot be told."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as boot:
            return "%s %s" % (boot.read().strip(), os.readlink("/proc/self/ns/pid"))
    except OSError:
        return None


def _start_time(pid):
    """When process `pid` started (clock ticks after boot); None when it has ended,
    a zombie included."""
    try:
        with open("/proc/%d/stat" % pid) as stat:
            # The command name may hold spaces and parentheses: fields follow the last ')'.
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return None
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    return fields[19]
