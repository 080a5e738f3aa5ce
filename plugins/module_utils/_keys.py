# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SSH keys: virter's key store, per-VM host keys, known_hosts lines.

PRIVATE to the collection: no stable API. The key pair that logs in is made by the
system's ssh-keygen, the same OpenSSH that Ansible's ssh connection uses; host keys, one
pair per new VM, by `cryptography` in process, about four times as fast.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import shutil
import subprocess

from ansible_collections.virter.core.plugins.module_utils._errors import Conflict, VirterError


def default_private_key_file():
    """virter's key store: $XDG_CONFIG_HOME/virter/id_rsa (default ~/.config/virter/id_rsa)."""
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(config, "virter", "id_rsa")


def _ssh_keygen(*args):
    if shutil.which("ssh-keygen") is None:
        raise VirterError("ssh-keygen not found: install the OpenSSH client (openssh-client)")
    proc = subprocess.run(["ssh-keygen", "-q"] + list(args), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise VirterError("ssh-keygen %s failed: %s" % (" ".join(args), proc.stderr.strip()))
    return proc.stdout


def ensure_key_pair(private_key_file):
    """Return the public key of `private_key_file`, creating an RSA pair (PEM PKCS#1,
    0600) when neither file exists. A lone .pub is never paired with a new private key."""
    public_key_file = private_key_file + ".pub"
    if not os.path.exists(private_key_file):
        if os.path.exists(public_key_file):
            raise Conflict(
                "%s exists without its private key %s: restore the private key or remove "
                "the public one" % (public_key_file, private_key_file))
        directory = os.path.dirname(private_key_file)
        if directory and not os.path.isdir(directory):
            os.makedirs(directory, 0o700)
        _ssh_keygen("-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-C", "", "-f", private_key_file)
    if not os.path.exists(public_key_file):
        public = _ssh_keygen("-y", "-f", private_key_file).strip()
        with open(public_key_file, "w") as handle:
            handle.write(public + "\n")
        return public
    with open(public_key_file) as handle:
        return handle.read().strip()


def generate_host_keys():
    """A fresh RSA (what virter pins) and ed25519 host key pair, as cloud-init `ssh_keys`:
    private keys in OpenSSH's format, public keys in authorized_keys form."""
    # Here only: the import is paid where keys are made (beside the claims), not by every run.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    keys = {}
    for kind, private in (("rsa", rsa.generate_private_key(public_exponent=65537, key_size=2048)),
                          ("ed25519", ed25519.Ed25519PrivateKey.generate())):
        keys[kind + "_private"] = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()).decode()
        keys[kind + "_public"] = private.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return keys


def known_hosts_line(hosts, public_key):
    """`host1,host2 <type> <base64>` for a public key in authorized_keys form."""
    key_type, key_data = public_key.split()[:2]
    return "%s %s %s" % (",".join(h for h in hosts if h), key_type, key_data)
