# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""virter.core.controller_file: a file written by the controller's own process, without a
module run (two for ansible.builtin.copy, one for file: seconds on a busy controller)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True},
    "content": {"type": "str", "required": True, "no_log": False},
    "mode": {"type": "str", "default": "0600"},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _spec, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        path, content = args["path"], args["content"]
        try:
            mode = int(args["mode"], 8)
        except ValueError:
            raise AnsibleActionFail("mode must be octal, such as 0600, not %r" % args["mode"])
        before, before_mode = _read(path)
        changed = before != content or before_mode != mode
        if changed and not self._task.check_mode:
            _write(path, content, mode)
        result.update(changed=changed, path=path)
        if self._task.diff and changed:
            result["diff"] = {"before_header": path, "after_header": path,
                              "before": before or "", "after": content}
        return result


def _read(path):
    """(text, mode) of the file at `path`, (None, None) when there is none."""
    try:
        with open(path, "rb") as handle:
            return to_text(handle.read(), errors="surrogate_or_strict"), os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        return None, None
    except (IOError, OSError) as exc:
        raise AnsibleActionFail("cannot read %s: %s" % (path, exc))


def _write(path, content, mode):
    """`content` into `path` at once (a temporary file renamed), its directory made (0700)."""
    directory = os.path.dirname(path) or "."
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".%s." % os.path.basename(path))
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content.encode("utf-8"))
            os.chmod(temporary, mode)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except (IOError, OSError) as exc:
        raise AnsibleActionFail("cannot write %s: %s" % (path, exc))
