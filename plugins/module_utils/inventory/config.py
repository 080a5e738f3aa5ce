# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The inventory source checked against the plugin's documented options. Ansible's
config manager drops keys it does not know and does not look into a dict's suboptions,
so a misspelt key would silently widen the inventory (every VM a host).

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import difflib

from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput


def check_config(keys, options, definitions):
    """Raise InvalidInput for the first problem of an inventory source: `keys` are the
    source's top-level keys, `options` the values Ansible resolved, `definitions` the
    plugin's documented options."""
    _known("option", keys, definitions)
    uris = options.get("uri")
    if not uris:
        raise InvalidInput("uri names no libvirt URI: give one (qemu:///system) or a list of them")
    for uri in uris:
        if not isinstance(uri, str) or not uri.strip():
            raise InvalidInput("uri %r is not a libvirt URI (such as qemu:///system or "
                               "qemu+ssh://root@hv1/system)" % (uri,))
    if options.get("network") is not None and not str(options["network"]).strip():
        raise InvalidInput("network is empty: name the access network, or leave the option out for any")
    filters = options.get("filters") or {}
    _known("filter", filters, definitions["filters"]["suboptions"])
    for key, value in sorted(filters.items()):
        if value is not None and (not isinstance(value, str) or not value):
            raise InvalidInput("filter %s must be a non-empty string, not %r" % (key, value))


def _known(kind, keys, definitions):
    unknown = sorted(str(key) for key in keys if key not in definitions)
    if not unknown:
        return
    close = [match for key in unknown for match in difflib.get_close_matches(key, list(definitions), n=1)]
    hint = "did you mean %s? " % " or ".join(close) if close else ""
    raise InvalidInput("unknown %s%s %s (%sthe %ss are: %s)" % (
        kind, "s" if len(unknown) > 1 else "", ", ".join(unknown), hint, kind, ", ".join(sorted(definitions))))
