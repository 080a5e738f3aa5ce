# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A container step as virter runs it: one container for all targets on the controller, with
host networking, the targets by name in its /etc/hosts, virter's environment and mounts.

PRIVATE to the collection: no stable API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

# virter's pull policies in podman's and docker's `--pull` words.
PULL = {"Always": "always", "IfNotExist": "missing", "Never": "never"}


def target(host):
    """{name, ip, user} of one host, from its host variables (the lab role's or the
    inventory plugin's: virter_name, ansible_host, ansible_user). A host reached through a
    jump is refused: the container reaches its targets from the controller directly."""
    name = host.get("virter_name") or host["inventory_hostname"]
    if host.get("virter_ssh_proxy_command") or "ProxyCommand" in (host.get("ansible_ssh_common_args") or ""):
        raise ValueError("%s is reached through its hypervisor, and a container step reaches its targets "
                         "from the controller directly (the VMs of the controller's own hypervisor)" % name)
    return {"name": name, "ip": host.get("ansible_host") or name, "user": host.get("ansible_user") or "root"}


def ssh_config(targets):
    """virter's generated ssh config: a `Host NAME IP` block with the user per target."""
    return "".join("Host %s %s\n\tUser %s\n" % (t["name"], t["ip"], t["user"]) for t in targets)


def plan(step, hosts, engine, network, files):
    """What running container `step` for `hosts` (host variables) takes: {name, targets,
    env (without SSH_PRIVATE_KEY, which the caller reads), ssh_config (its text), create
    (the argv that creates the container; env values come from the environment)}.
    `network`: the access network as virter_network_info returns it; `files`: the
    controller paths {private_key, known_hosts, ssh_config, workspace}."""
    targets = [target(host) for host in hosts]
    name = "virter-" + "-".join(t["name"] for t in targets)
    env = dict(step["env"])
    env.update(TARGETS=",".join(t["name"] for t in targets), VIRTER_ACCESS_NETWORK=network["cidr"])
    domain = network.get("domain")
    args = [engine, "create", "--name", name, "--network", "host", "--security-opt", "label=disable",
            "--pull", PULL[step["pull"]], "--dns", network["cidr"].split("/")[0]]
    if domain:
        args += ["--dns-search", domain]
    for t in targets:
        args += ["--add-host", "%s:%s" % (t["name"], t["ip"])]
        if domain:
            args += ["--add-host", "%s.%s:%s" % (t["name"], domain, t["ip"])]
    for key in sorted(env) + ["SSH_PRIVATE_KEY"]:
        args += ["--env", key]
    mounts = (("private_key", "/root/.ssh/id_rsa"), ("known_hosts", "/root/.ssh/known_hosts"),
              ("ssh_config", "/etc/ssh/ssh_config.virter"), ("workspace", "/virter/workspace"))
    for key, inside in mounts:
        args += ["--volume", "%s:%s:ro" % (files[key], inside)]
    return {"name": name, "targets": targets, "env": env, "ssh_config": ssh_config(targets),
            "create": args + [step["image"]] + list(step["command"])}
