# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A checked provisioning file into the steps to run, as virter prepares them: the global
env merged under each step's env, exactly the fields virter templates expanded, the pull
policy settled, host paths checked against the working directory.

Every step is a dict with `kind` (shell, rsync, container), `file` and `index` (for
messages), and the fields of its kind:
  shell:     script, env {name: value}
  rsync:     source (a glob, see workdir.rsync_sources), dest (a path in the VM)
  container: image, pull (Always, IfNotExist, Never), command [str] (empty: the image's),
             env {name: value}, copy None or {source (in the container), dest (on the host)}

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.virter.core.plugins.module_utils.provision import shell, workdir
from ansible_collections.virter.core.plugins.module_utils.provision.format import KINDS, fail, pull_policy
from ansible_collections.virter.core.plugins.module_utils.provision.template import expand


def steps(doc, name, base_dir, pull_default, pull_override):
    """The steps of `doc` (checked by format.check, overrides applied)."""
    context = {"name": name, "base_dir": base_dir, "values": doc.get("values", {}), "env": doc.get("env", {}),
               "pull_default": pull_default, "pull_override": pull_override}
    built = []
    for index, step in enumerate(doc.get("steps", [])):
        kind = [kind for kind in KINDS if kind in step][0]
        fields = _BUILD[kind](step[kind], ("steps", index, kind), context)
        built.append(dict(fields, kind=kind, file=name, index=index))
    return built


def _shell(step, where, context):
    env = _env(step, where, context)
    for key, (_value, path) in env.items():
        if not shell.valid_name(key):
            fail(context["name"], path, "not a valid environment variable name")
    return {"script": step["script"], "env": dict((key, value) for key, (value, _path) in env.items())}


def _rsync(step, where, context):
    source = expand(step["source"], context["values"], context["name"], where + ("source",))
    workdir.check_source(source, context["base_dir"], context["name"], where + ("source",))
    return {"source": source, "dest": step["dest"]}


def _container(step, where, context):
    name, values = context["name"], context["values"]
    env = _env(step, where, context)
    for key, (_value, path) in env.items():
        if not key or "=" in key:
            fail(name, path, "not a valid environment variable name")
    copy = step.get("copy")
    if copy is not None:
        dest = expand(copy["dest"], values, name, where + ("copy", "dest"))
        workdir.confined(dest, context["base_dir"], name, where + ("copy", "dest"))
        copy = {"source": copy["source"], "dest": dest}
    return {
        "image": expand(step["image"], values, name, where + ("image",)),
        "pull": context["pull_override"] or pull_policy(step.get("pull") or context["pull_default"]),
        "command": [expand(item, values, name, where + ("command", index))
                    for index, item in enumerate(step.get("command", []))],
        "env": dict((key, value) for key, (value, _path) in env.items()),
        "copy": copy,
    }


def _env(step, where, context):
    """{name: (templated value, path of its key)}: the global env, then the step's over it."""
    merged = dict((key, (value, ("env", key))) for key, value in context["env"].items())
    merged.update((key, (value, where + ("env", key))) for key, value in step.get("env", {}).items())
    return dict((key, (expand(value, context["values"], context["name"], path), path))
                for key, (value, path) in merged.items())


_BUILD = {"shell": _shell, "rsync": _rsync, "container": _container}
