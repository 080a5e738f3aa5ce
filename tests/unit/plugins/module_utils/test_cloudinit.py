import io
import json

import pycdlib
import pytest

from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput
from ansible_collections.virter.core.plugins.module_utils.vm import cloudinit

HOST_KEYS = {"rsa_private": "PRIV", "rsa_public": "ssh-rsa AAAA", "ed25519_private": "P2", "ed25519_public": "ssh-ed25519 BBBB"}


def cloud_config(text):
    header, body = text.split("\n", 1)
    assert header == "#cloud-config"
    return json.loads(body)


def test_user_data_carries_keys_hostname_and_fqdn():
    config = cloud_config(cloudinit.user_data("vm1", "lab.test", ["ssh-rsa KEY"], HOST_KEYS, user="root"))
    assert config["ssh_authorized_keys"] == ["ssh-rsa KEY"]
    assert config["ssh_keys"] == HOST_KEYS
    assert config["disable_root"] is False
    assert (config["hostname"], config["fqdn"]) == ("vm1", "vm1.lab.test")
    assert "mounts" not in config
    assert cloud_config(cloudinit.user_data("vm1", None, [], HOST_KEYS, user="root"))["fqdn"] == "vm1"


def test_user_data_mounts_use_the_vm_path_as_virtiofs_tag():
    mounts = [{"host": "/srv", "vm": "/mnt/srv"}]
    config = cloud_config(cloudinit.user_data("vm1", None, [], HOST_KEYS, mounts=mounts, user="root"))
    assert config["mounts"] == [["/mnt/srv", "/mnt/srv", "virtiofs"]]


def test_extra_user_data_merges_deeply_and_appends_lists():
    extra = {"ssh_authorized_keys": ["ssh-ed25519 MINE"], "packages": ["htop"], "write_files": [{"path": "/x"}],
             "hostname": "renamed"}
    config = cloud_config(cloudinit.user_data("vm1", None, ["ssh-rsa KEY"], HOST_KEYS, extra=extra, user="root"))
    assert config["ssh_authorized_keys"] == ["ssh-rsa KEY", "ssh-ed25519 MINE"]
    assert config["packages"] == ["htop"]
    assert config["hostname"] == "renamed"


def test_merge_recurses_into_dicts_without_touching_inputs():
    base = {"a": {"b": 1, "c": [1]}}
    extra = {"a": {"c": [2], "d": 3}}
    assert cloudinit.merge(base, extra) == {"a": {"b": 1, "c": [1, 2], "d": 3}}
    assert base == {"a": {"b": 1, "c": [1]}}


@pytest.mark.parametrize("extra", [{"ssh_keys": {}}, {"ssh_authorized_keys": "ssh-rsa X"}])
def test_extra_user_data_cannot_replace_injected_keys(extra):
    with pytest.raises(InvalidInput):
        cloudinit.user_data("vm1", None, ["ssh-rsa KEY"], HOST_KEYS, extra=extra, user="root")


@pytest.mark.parametrize("extra, user, message", [
    ({"disable_root": True}, "root", "disable_root would refuse the SSH login as root"),
    ({"disable_root": "yes"}, "root", "disable_root"),
    ({"users": [{"name": "alice"}]}, "debian", "neither 'default' nor an entry for debian"),
    ({"users": "default, alice"}, "alice", "users must be a list"),
    ({"users": [["alice"]]}, "alice", "entries must be names or dicts"),
    ({"users": [{"name": "alice", "ssh_authorized_keys": "ssh-rsa X"}]}, "alice", "ssh_authorized_keys of alice"),
])
def test_user_data_that_locks_the_collections_key_out_is_refused(extra, user, message):
    with pytest.raises(InvalidInput, match=message):
        cloudinit.check_extra(extra, user)


@pytest.mark.parametrize("extra, user", [
    ({"disable_root": True}, "debian"),  # the default user gets the key
    ({"disable_root": False, "users": [{"name": "alice"}]}, "root"),  # root keeps it
    ({"users": ["default", {"name": "alice"}]}, "debian"),
    ({"users": [{"sudo": "ALL=(ALL) NOPASSWD:ALL"}]}, "debian"),  # an entry without a name is the default user
    ({"users": ["bob, alice"]}, "alice"),
    # cc_ssh deletes the image's host keys before it writes ssh_keys, and generates keys
    # only when no ssh_keys are given: neither touches the pinned keys.
    ({"ssh_deletekeys": True, "ssh_genkeytypes": ["rsa", "ecdsa", "ed25519"]}, "root"),
])
def test_user_data_that_keeps_the_login_is_accepted(extra, user):
    cloudinit.check_extra(extra, user)
    config = cloud_config(cloudinit.user_data("vm1", None, ["ssh-rsa KEY"], HOST_KEYS, extra=extra, user=user))
    assert config["ssh_keys"] == HOST_KEYS
    assert config["ssh_authorized_keys"] == ["ssh-rsa KEY"]


def test_the_vms_user_entry_in_users_gets_the_collections_keys():
    extra = {"users": ["default", {"name": "alice", "shell": "/bin/bash", "ssh_authorized_keys": ["ssh-ed25519 MINE"]},
                       "bob,carol"]}
    config = cloud_config(cloudinit.user_data("vm1", None, ["ssh-rsa KEY"], HOST_KEYS, extra=extra, user="alice"))
    assert config["users"] == ["default", {"name": "alice", "shell": "/bin/bash",
                                           "ssh_authorized_keys": ["ssh-ed25519 MINE", "ssh-rsa KEY"]}, "bob", "carol"]
    assert extra["users"][1]["ssh_authorized_keys"] == ["ssh-ed25519 MINE"]  # the input is left as it was
    named = cloud_config(cloudinit.user_data("vm1", None, ["ssh-rsa KEY"], HOST_KEYS, extra={"users": ["bob, alice"]},
                                             user="alice"))
    assert named["users"] == ["bob", {"name": "alice", "ssh_authorized_keys": ["ssh-rsa KEY"]}]


def test_network_config_only_when_every_extra_nic_has_dhcp():
    assert cloudinit.network_config([]) is None
    assert cloudinit.network_config([True, False]) is None
    config = json.loads(cloudinit.network_config([True]))
    assert config["version"] == 2
    assert set(config["ethernets"]) == {"eth0", "enp1s0", "eth1", "enp2s0"}
    assert all(e["dhcp4"] is True for e in config["ethernets"].values())


def test_inputs_hash_is_stable_and_sensitive():
    assert cloudinit.inputs_hash({"a": 1, "b": 2}) == cloudinit.inputs_hash({"b": 2, "a": 1})
    assert cloudinit.inputs_hash({"a": 1}) != cloudinit.inputs_hash({"a": 2})


def test_seed_iso_is_labelled_cidata_with_rock_ridge_names():
    files = {"meta-data": "instance-id: x\n", "user-data": "#cloud-config\n{}\n"}
    iso = pycdlib.PyCdlib()
    iso.open_fp(io.BytesIO(cloudinit.seed_iso(files)))
    try:
        assert iso.pvd.volume_identifier.rstrip(b" ") == b"cidata"
        for name, text in files.items():
            out = io.BytesIO()
            iso.get_file_from_iso_fp(out, rr_path="/" + name)
            assert out.getvalue().decode() == text
    finally:
        iso.close()
