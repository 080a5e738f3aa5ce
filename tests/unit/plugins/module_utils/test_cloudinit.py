import io
import json

import pycdlib
import pytest

from ansible_collections.virter.core.plugins.module_utils import _cloudinit
from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput

HOST_KEYS = {"rsa_private": "PRIV", "rsa_public": "ssh-rsa AAAA", "ed25519_private": "P2", "ed25519_public": "ssh-ed25519 BBBB"}


def cloud_config(text):
    header, body = text.split("\n", 1)
    assert header == "#cloud-config"
    return json.loads(body)


def test_user_data_carries_keys_hostname_and_fqdn():
    config = cloud_config(_cloudinit.user_data("vm1", "lab.test", ["ssh-rsa KEY"], HOST_KEYS))
    assert config["ssh_authorized_keys"] == ["ssh-rsa KEY"]
    assert config["ssh_keys"] == HOST_KEYS
    assert config["disable_root"] is False
    assert (config["hostname"], config["fqdn"]) == ("vm1", "vm1.lab.test")
    assert "mounts" not in config
    assert cloud_config(_cloudinit.user_data("vm1", None, [], HOST_KEYS))["fqdn"] == "vm1"


def test_user_data_mounts_use_the_vm_path_as_virtiofs_tag():
    config = cloud_config(_cloudinit.user_data("vm1", None, [], HOST_KEYS, mounts=[{"host": "/srv", "vm": "/mnt/srv"}]))
    assert config["mounts"] == [["/mnt/srv", "/mnt/srv", "virtiofs"]]


def test_extra_user_data_merges_deeply_and_appends_lists():
    extra = {"ssh_authorized_keys": ["ssh-ed25519 MINE"], "packages": ["htop"], "write_files": [{"path": "/x"}],
             "hostname": "renamed"}
    config = cloud_config(_cloudinit.user_data("vm1", None, ["ssh-rsa KEY"], HOST_KEYS, extra=extra))
    assert config["ssh_authorized_keys"] == ["ssh-rsa KEY", "ssh-ed25519 MINE"]
    assert config["packages"] == ["htop"]
    assert config["hostname"] == "renamed"


def test_merge_recurses_into_dicts_without_touching_inputs():
    base = {"a": {"b": 1, "c": [1]}}
    extra = {"a": {"c": [2], "d": 3}}
    assert _cloudinit.merge(base, extra) == {"a": {"b": 1, "c": [1, 2], "d": 3}}
    assert base == {"a": {"b": 1, "c": [1]}}


@pytest.mark.parametrize("extra", [{"ssh_keys": {}}, {"ssh_authorized_keys": "ssh-rsa X"}])
def test_extra_user_data_cannot_replace_injected_keys(extra):
    with pytest.raises(InvalidInput):
        _cloudinit.user_data("vm1", None, ["ssh-rsa KEY"], HOST_KEYS, extra=extra)


def test_network_config_only_when_every_extra_nic_has_dhcp():
    assert _cloudinit.network_config([]) is None
    assert _cloudinit.network_config([True, False]) is None
    config = json.loads(_cloudinit.network_config([True]))
    assert config["version"] == 2
    assert set(config["ethernets"]) == {"eth0", "enp1s0", "eth1", "enp2s0"}
    assert all(e["dhcp4"] is True for e in config["ethernets"].values())


def test_inputs_hash_is_stable_and_sensitive():
    assert _cloudinit.inputs_hash({"a": 1, "b": 2}) == _cloudinit.inputs_hash({"b": 2, "a": 1})
    assert _cloudinit.inputs_hash({"a": 1}) != _cloudinit.inputs_hash({"a": 2})


def test_seed_iso_is_labelled_cidata_with_rock_ridge_names():
    files = {"meta-data": "instance-id: x\n", "user-data": "#cloud-config\n{}\n"}
    iso = pycdlib.PyCdlib()
    iso.open_fp(io.BytesIO(_cloudinit.seed_iso(files)))
    try:
        assert iso.pvd.volume_identifier.rstrip(b" ") == b"cidata"
        for name, text in files.items():
            out = io.BytesIO()
            iso.get_file_from_iso_fp(out, rr_path="/" + name)
            assert out.getvalue().decode() == text
    finally:
        iso.close()
