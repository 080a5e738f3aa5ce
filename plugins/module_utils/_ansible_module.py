# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The modules' side of the core: common options, dependency checks, the libvirt
connection, and the one place where errors become `fail_json`.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import importlib.util

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput, LibvirtError, VirterError
from ansible_collections.virter.core.plugins.module_utils._libvirt import IMPORT_ERROR as LIBVIRT_IMPORT_ERROR, libvirt
from ansible_collections.virter.core.plugins.module_utils._libvirt_uri import scheme_problem
from ansible_collections.virter.core.plugins.module_utils._lxml import IMPORT_ERROR as LXML_IMPORT_ERROR


COMMON_ARGUMENT_SPEC = {
    "uri": {
        "type": "str",
        "default": "qemu:///system",
        "fallback": (env_fallback, ["VIRTER_LIBVIRT_URI", "LIBVIRT_DEFAULT_URI"]),
    },
    "pool": {
        "type": "str",
        "default": "default",
        "fallback": (env_fallback, ["VIRTER_LIBVIRT_POOL"]),
    },
    # Every module takes it, used or not: module_defaults for the action group passes
    # each option to each module of the group, and a module rejects unknown options.
    "network": {
        "type": "str",
        "default": "default",
        "fallback": (env_fallback, ["VIRTER_LIBVIRT_NETWORK"]),
    },
}


# Registry access, for modules that pull or push images (doc fragment common.REGISTRY).
REGISTRY_ARGUMENT_SPEC = {
    "registry_username": {"type": "str"},
    "registry_password": {"type": "str", "no_log": True},
    "registry_tls_verify": {"type": "bool", "default": True},
}


def new_module(argument_spec, **kwargs):
    """An AnsibleModule with the common options and the module's own."""
    spec = dict(COMMON_ARGUMENT_SPEC)
    spec.update(argument_spec)
    kwargs.setdefault("supports_check_mode", True)
    return AnsibleModule(argument_spec=spec, **kwargs)


def require_libraries(module, extra=()):
    """Fail with a clear message when a Python dependency is missing on the target;
    `extra`: the names of what the module needs beyond libvirt-python and lxml."""
    for name, error in (("libvirt-python", LIBVIRT_IMPORT_ERROR), ("lxml", LXML_IMPORT_ERROR)):
        if error:
            module.fail_json(msg=missing_required_lib(name), exception=error)
    for name in extra:
        if importlib.util.find_spec(name) is None:
            module.fail_json(msg=missing_required_lib(name))


def connect(uri):
    """Open a libvirt connection to `uri`."""
    # libvirt prints every error to stderr by default; they are raised as exceptions anyway.
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
    try:
        return libvirt.open(uri)
    except libvirt.libvirtError as exc:
        problem = scheme_problem(uri)
        if problem:
            raise InvalidInput("cannot connect to %s: %s" % (uri, problem))
        raise LibvirtError("connect to %s" % uri, exc)


def run(module, action, libraries=()):
    """Connect, call action(conn) -> result dict, exit_json with it.

    Every VirterError, libvirt error or OSError (a file the module cannot write, a full
    disk) ends as fail_json with a clean msg; no traceback reaches the user."""
    require_libraries(module, libraries)
    conn = None
    try:
        conn = connect(module.params["uri"])
        result = action(conn)
    except VirterError as exc:
        module.fail_json(msg=exc.msg, **exc.details)
    except libvirt.libvirtError as exc:
        module.fail_json(msg="libvirt error: %s" % exc.get_error_message())
    except OSError as exc:
        module.fail_json(msg=str(exc))
    finally:
        if conn is not None:
            conn.close()
    module.exit_json(**result)
