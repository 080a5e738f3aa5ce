# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Waiting for VMs: until port 22 answers with an SSH banner (`ssh`), or until a login
with the pinned host key works and cloud-init has finished (`ready`). For a remote
hypervisor both go through a jump made from its libvirt URI (_ssh_jump).

PRIVATE to the collection: no stable API. `ready` uses the system's OpenSSH client,
the binary Ansible's ssh connection uses, so what works here works for Ansible.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time

from ansible_collections.virter.core.plugins.module_utils._errors import VirterError
from ansible_collections.virter.core.plugins.module_utils._ssh_jump import is_remote, proxy_argv, proxy_command

_ATTEMPT_TIMEOUT = 2
_JUMP_TIMEOUT = 10  # an attempt through a jump pays an SSH handshake with the hypervisor first
_PERIOD = 1.0


def _ssh_banner(vm, uri):
    if is_remote(uri):
        return _banner_through(proxy_argv(uri, vm["ip"], 22))
    try:
        with socket.create_connection((vm["ip"], 22), timeout=_ATTEMPT_TIMEOUT) as sock:
            sock.settimeout(_ATTEMPT_TIMEOUT)
            banner = sock.recv(64)
    except OSError as exc:
        return False, str(exc)
    return banner.startswith(b"SSH-"), "no SSH banner (got %r)" % banner[:16]


def _banner_through(jump):
    """The banner read through the jump's stdout (the jump is stopped after it)."""
    try:
        proc = subprocess.Popen(jump, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        return False, "jump %s: %s" % (jump[0], exc)
    try:
        readable = select.select([proc.stdout], [], [], _JUMP_TIMEOUT)[0]
        banner = os.read(proc.stdout.fileno(), 64) if readable else b""
    finally:
        proc.kill()
        err = proc.communicate()[1]
    if banner.startswith(b"SSH-"):
        return True, ""
    return False, err.decode("utf-8", "replace").strip() or "no SSH banner through the jump (got %r)" % banner[:16]


def _login(vm, private_key_file, known_hosts, uri):
    jump = proxy_command(uri)
    command = [
        "ssh", "-i", private_key_file,
        "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
        "-o", "UserKnownHostsFile=%s" % known_hosts, "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "ConnectTimeout=%d" % _ATTEMPT_TIMEOUT, "-o", "LogLevel=ERROR",
    ] + (["-o", "ProxyCommand=" + jump] if jump else []) + [
        "%s@%s" % (vm["user"], vm["ip"]), "test -f /run/cloud-init/result.json",
    ]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=_ATTEMPT_TIMEOUT * 10 + _JUMP_TIMEOUT,
                              check=False)
    except subprocess.TimeoutExpired:
        return False, "ssh timed out"
    if proc.returncode == 0:
        return True, ""
    return False, proc.stderr.strip() or "cloud-init has not finished"


def console_tail(path, lines=20):
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 8192))
            return handle.read().decode("utf-8", "replace").splitlines()[-lines:]
    except (OSError, TypeError):
        return []


def wait(vms, mode, timeout, private_key_file=None, uri="qemu:///system"):
    """Wait for every VM in `vms` ({name, ip, user, known_hosts_lines, console_file}) of the
    hypervisor of `uri` at once; raise VirterError naming the VMs that were not ready when
    `timeout` seconds passed without another VM becoming ready (with their console tails
    where the consoles are files here), or at once when a remote hypervisor has no SSH to
    jump through. VMs that boot at once share the host's CPUs: each gets `timeout` from the
    last one that was ready, as if they were waited for one after another."""
    if mode == "none" or not vms:
        return
    proxy_argv(uri)  # no jump for a remote URI without SSH: fail before waiting
    if mode == "ready" and shutil.which("ssh") is None:
        raise VirterError("wait_for=ready needs the OpenSSH client (ssh) where the module runs")
    workdir = tempfile.mkdtemp(prefix="virter-wait-")
    known_hosts = os.path.join(workdir, "known_hosts")
    with open(known_hosts, "w") as handle:
        handle.write("".join(line + "\n" for vm in vms for line in vm["known_hosts_lines"]))
    begun = time.monotonic()
    deadline = [begun + timeout]
    lock = threading.Lock()
    failures = {}

    def poll(vm):
        reason = "not tried"
        while time.monotonic() < deadline[0]:
            started = time.monotonic()
            if mode == "ssh":
                ok, reason = _ssh_banner(vm, uri)
            else:
                ok, reason = _login(vm, private_key_file, known_hosts, uri)
            if ok:
                with lock:
                    deadline[0] = max(deadline[0], time.monotonic() + timeout)
                return
            time.sleep(max(0.0, min(_PERIOD - (time.monotonic() - started), deadline[0] - time.monotonic())))
        failures[vm["name"]] = reason

    threads = [threading.Thread(target=poll, args=(vm,)) for vm in vms]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        shutil.rmtree(workdir)
    if failures:
        # A remote hypervisor's console files are on that host, not here.
        details = dict((name, {"last_error": reason,
                               "console_tail": [] if is_remote(uri) else console_tail(_console(vms, name))})
                       for name, reason in failures.items())
        raise VirterError(
            "VM%s %s not %s after %ds: %s" % (
                "s" if len(failures) > 1 else "", ", ".join(sorted(failures)),
                "ready (SSH login with the pinned host key and cloud-init finished)" if mode == "ready"
                else "answering on SSH", round(time.monotonic() - begun),
                "; ".join("%s: %s" % item for item in sorted(failures.items()))),
            not_ready=details)


def _console(vms, name):
    return next(vm.get("console_file") for vm in vms if vm["name"] == name)
