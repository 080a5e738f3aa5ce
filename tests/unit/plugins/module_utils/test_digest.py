import hashlib

import pytest

from ansible_collections.virter.core.plugins.module_utils._digest import digest_of, is_digest, sha256_digest

HEX = hashlib.sha256(b"layer").hexdigest()


def test_a_digest_is_sha256_and_64_lowercase_hex_digits():
    assert is_digest("sha256:" + HEX)


@pytest.mark.parametrize("value", [None, b"sha256:" + HEX.encode(), "sha256:" + HEX.upper(), "sha256:" + HEX[:-1],
                                   "sha256:" + HEX + "0", "sha512:" + HEX, HEX, " sha256:" + HEX])
def test_anything_else_is_not_a_digest(value):
    assert not is_digest(value)


def test_the_digest_of_data_and_of_a_running_hash_agree():
    sha = hashlib.sha256()
    for part in (b"la", b"yer"):
        sha.update(part)
    assert digest_of(sha) == sha256_digest(b"layer") == "sha256:" + HEX
