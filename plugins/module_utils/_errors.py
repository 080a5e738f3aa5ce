# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's exceptions. PRIVATE to the collection: no stable API.

Every error the core raises is a VirterError; the module adapter in _ansible_module turns it
into fail_json(msg=...). The message is written for the playbook author.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class VirterError(Exception):
    """Root of the collection's errors; `details` end up in the failed result."""

    def __init__(self, msg, **details):
        super(VirterError, self).__init__(msg)
        self.msg = msg
        self.details = details


class InvalidInput(VirterError):
    """An option value that cannot be used; raised before anything changes."""


class NotFound(VirterError):
    """A named object does not exist."""


class Conflict(VirterError):
    """The request clashes with existing state (taken id, attached VMs, wrong shape)."""


class LibvirtError(VirterError):
    """A libvirt call failed; `action` says what was being done."""

    def __init__(self, action, error):
        message = error.get_error_message() if hasattr(error, "get_error_message") else str(error)
        super(LibvirtError, self).__init__("cannot %s: %s" % (action, message))
        self.code = error.get_error_code() if hasattr(error, "get_error_code") else None


class TransferFailed(VirterError):
    """Bytes stopped flowing half way (a registry, a web server, a libvirt stream).
    Nothing half-done is kept, so running the task again starts the transfer again."""

    def __init__(self, what, done, total, reason):
        amount = "%d of %d bytes" % (done, total) if total is not None else "%d bytes" % done
        super(TransferFailed, self).__init__("%s broke off after %s (%s); run the task again to retry" % (
            what, amount, reason))


def undo(cleanup, *args):
    """Run `cleanup(*args)` after a failure. Its own error must not hide the first one
    (the caller raises that again); what it leaves is a leftover the next run reclaims."""
    try:
        cleanup(*args)
    except Exception:  # pylint: disable=broad-except
        pass
