# -*- coding: utf-8 -*-
# Copyright: virter.core contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The NoCloud seed of a VM: meta-data, user-data, network-config and the ISO holding them.

PRIVATE to the collection: no stable API. Pure: no libvirt, no files.
The documents are written as JSON, which cloud-init reads as the YAML it is.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import io
import json

from ansible_collections.virter.core.plugins.module_utils._digest import sha256_digest
from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput

# Keys the collection owns in user-data: a user's `user_data` cannot replace them.
_PROTECTED = ("ssh_keys",)


def meta_data(instance_id, hostname):
    return json.dumps({"instance-id": instance_id, "local-hostname": hostname}, indent=2) + "\n"


def user_data(hostname, domain, authorized_keys, host_keys, mounts=(), extra=None, *, user):
    """The cloud-config: the collection's keys and host keys, hostname and fqdn, virtiofs
    mounts, and the user's `extra` cloud-config deep-merged in (dicts merge, lists
    append): `extra` cannot set the host keys, and can add authorized keys but not drop
    the collection's. cloud-init gives the top-level keys to root and the default user
    only, so an entry of `user` (the VM's SSH user) in `extra`'s `users` gets them too."""
    config = {
        "disable_root": False,
        "ssh_authorized_keys": list(authorized_keys),
        "ssh_keys": dict(host_keys),
        "preserve_hostname": False,
        "hostname": hostname,
        "fqdn": "%s.%s" % (hostname, domain) if domain else hostname,
    }
    if mounts:
        # The virtiofs tag is the mount point in the VM.
        config["mounts"] = [[m["vm"], m["vm"], "virtiofs"] for m in mounts]
    if extra:
        check_extra(extra, user)
        config = merge(config, extra)
        if "users" in extra:
            config["users"] = _with_keys(config["users"], user, authorized_keys)
    return "#cloud-config\n" + json.dumps(config, indent=2, sort_keys=True) + "\n"


def check_extra(extra, user):
    """Refuse a user's cloud-config that would replace what the collection injects, or
    keep the collection's key from logging in as `user` (the VM's SSH user).

    `ssh_deletekeys` and `ssh_genkeytypes` are allowed, as cloud-init's cc_ssh keeps the
    pinned host keys whatever they say: it deletes the image's host keys before it writes
    the given `ssh_keys`, and reads `ssh_genkeytypes` only when no `ssh_keys` are given
    (they always are)."""
    extra = extra or {}
    for key in _PROTECTED:
        if key in extra:
            raise InvalidInput("user_data may not set %r: the collection injects the VM's host keys" % key)
    if not isinstance(extra.get("ssh_authorized_keys", []), list):
        raise InvalidInput("user_data.ssh_authorized_keys must be a list (it is added to the VM's keys)")
    if user == "root" and _cloud_true(extra.get("disable_root")):
        raise InvalidInput("user_data.disable_root would refuse the SSH login as root, the VM's user: leave it "
                           "out, or set user to an account the VM has")
    if "users" in extra:
        _check_users(extra["users"], user)


def _check_users(users, user):
    if not isinstance(users, list):
        raise InvalidInput("user_data.users must be a list (the collection adds its key to the entry of %s)" % user)
    names = []
    for entry in users:
        if isinstance(entry, dict):
            if not isinstance(entry.get("ssh_authorized_keys", []), list):
                raise InvalidInput("user_data.users: ssh_authorized_keys of %s must be a list"
                                   % entry.get("name", "default"))
            names.append(entry.get("name", "default"))  # cloud-init's name of an entry without one
        elif isinstance(entry, str):
            names.extend(_names(entry))
        else:
            raise InvalidInput("user_data.users entries must be names or dicts, not %r" % (entry,))
    if user != "root" and "default" not in names and user not in names:
        raise InvalidInput(
            "user_data.users has neither 'default' nor an entry for %s, the VM's user: cloud-init would give "
            "the collection's key to root only; add 'default' or {name: %s} to users" % (user, user))


def _with_keys(users, user, keys):
    """`users` with `keys` added to the entry of `user`; a name in a string entry becomes
    an entry of its own."""
    result = []
    for entry in users:
        for item in _names(entry) if isinstance(entry, str) else [entry]:
            if item == user:
                item = {"name": user}
            if isinstance(item, dict) and item.get("name") == user:
                item = dict(item, ssh_authorized_keys=list(item.get("ssh_authorized_keys", [])) + list(keys))
            result.append(item)
    return result


def _names(entry):
    """The user names of a string entry of `users`: cloud-init splits it at commas."""
    return [name.strip() for name in entry.split(",") if name.strip()]


def _cloud_true(value):
    """cloud-init's reading of a boolean option (true, "yes", "on", "1"...)."""
    return str(value).strip().lower() in ("true", "yes", "on", "1")


def network_config(nic_dhcp):
    """netplan v2 for the access NIC and extra NICs, or None when cloud-init's default
    (DHCP on the first NIC) is right. `nic_dhcp`: per extra NIC, whether its network has
    DHCP; written only when every extra NIC can use DHCP, as virter does."""
    if not nic_dhcp or not all(nic_dhcp):
        return None
    ethernets = {}
    for index in range(len(nic_dhcp) + 1):
        # Two names per NIC cover both the eth<i> and the predictable naming scheme.
        for name in ("eth%d" % index, "enp%ds0" % (index + 1)):
            ethernets[name] = {"match": {"name": name}, "dhcp4": True}
    return json.dumps({"version": 2, "ethernets": ethernets}, indent=2, sort_keys=True) + "\n"


def merge(base, extra):
    """Deep merge of cloud-config: dicts merge key-wise, lists append, scalars replace."""
    result = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(result.get(key), dict) and isinstance(value, dict):
            result[key] = merge(result[key], value)
        elif isinstance(result.get(key), list) and isinstance(value, list):
            result[key] = result[key] + copy.deepcopy(value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def inputs_hash(*parts):
    """A stable digest of the cloud-init inputs, kept in the domain's metadata."""
    return sha256_digest(json.dumps(parts, sort_keys=True).encode())


def seed_iso(files):
    """An ISO 9660 volume labelled `cidata` (NoCloud) holding `files` {name: text}, with
    Rock Ridge and Joliet names so the guest sees `user-data`, not `USERDATA.;1`."""
    import pycdlib

    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, vol_ident="cidata", rock_ridge="1.09", joliet=3)
    for name in sorted(files):
        data = files[name].encode("utf-8")
        iso.add_fp(io.BytesIO(data), len(data), "/%s.;1" % name.replace("-", "").upper(),
                   rr_name=name, joliet_path="/" + name)
    out = io.BytesIO()
    iso.write_fp(out)
    iso.close()
    return out.getvalue()
