# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a shell step sends: virter starts the login shell without a terminal and writes
`NAME=value; export NAME` lines (values shell-quoted), then the script, then a newline to
its standard input.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re
import shlex

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def valid_name(name):
    """A name the shell can export."""
    return bool(_NAME.match(name))


def exports(env):
    """The export lines for `env` ({name: value}), in its order."""
    return "".join("%s=%s; export %s\n" % (name, shlex.quote(value), name) for name, value in env.items())


def shell_input(step):
    """The text a shell step writes to the login shell's standard input."""
    return exports(step["env"]) + step["script"] + "\n"
