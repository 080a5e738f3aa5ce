import os
import stat
import subprocess

import pytest

from ansible_collections.virter.core.plugins.module_utils import _keys
from ansible_collections.virter.core.plugins.module_utils._errors import Conflict


def test_default_key_store_follows_xdg_config_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert _keys.default_private_key_file() == str(tmp_path / "virter" / "id_rsa")
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert _keys.default_private_key_file() == str(tmp_path / ".config" / "virter" / "id_rsa")


def test_key_pair_is_created_once_as_pem_rsa_0600(tmp_path):
    path = str(tmp_path / "virter" / "id_rsa")
    public = _keys.ensure_key_pair(path)
    assert public.startswith("ssh-rsa ")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as handle:
        assert handle.readline().strip() == "-----BEGIN RSA PRIVATE KEY-----"
    assert _keys.ensure_key_pair(path) == public


def test_missing_public_key_is_derived(tmp_path):
    path = str(tmp_path / "id_rsa")
    public = _keys.ensure_key_pair(path)
    os.unlink(path + ".pub")
    assert _keys.ensure_key_pair(path) == public


def test_lone_public_key_is_not_paired_with_a_new_private_key(tmp_path):
    path = tmp_path / "id_rsa"
    (tmp_path / "id_rsa.pub").write_text("ssh-rsa AAAA\n")
    with pytest.raises(Conflict, match="without its private key"):
        _keys.ensure_key_pair(str(path))
    assert not path.exists()


def test_host_keys_are_matching_pairs():
    keys = _keys.generate_host_keys()
    for kind in ("rsa", "ed25519"):
        derived = subprocess.run(["ssh-keygen", "-y", "-f", "/dev/stdin"], input=keys[kind + "_private"],
                                 capture_output=True, text=True, check=True).stdout.split()[:2]
        assert derived == keys[kind + "_public"].split()[:2]
    assert keys["rsa_public"].startswith("ssh-rsa ")
    assert keys["ed25519_public"].startswith("ssh-ed25519 ")


def test_known_hosts_line_lists_every_name():
    line = _keys.known_hosts_line(["192.168.122.5", "vm1", None], "ssh-ed25519 AAAA comment")
    assert line == "192.168.122.5,vm1 ssh-ed25519 AAAA"
