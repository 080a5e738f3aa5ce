"""virter_vm's pull_policy: when the boot image is pulled, and what ensure hands on."""
import contextlib

import pytest

from ansible_collections.virter.core.plugins.module_utils.registry import pull
from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput, NotFound
from ansible_collections.virter.core.plugins.module_utils.vm import image as vm_image
from ansible_collections.virter.core.plugins.module_utils.vm.image import ensure, must_pull

REF = "localhost:5000/lab/debian:12"
TOP = "sha256:" + "a" * 64
NEW = "sha256:" + "b" * 64


@pytest.mark.parametrize("image, policy, present, pull", [
    (REF, "IfNotExist", False, True),
    (REF, "IfNotExist", True, False),
    (REF, "Always", False, True),
    (REF, "Always", True, True),
    (REF, "Never", True, False),
    ("debian-12", "Never", True, False),
    ("debian-12", "IfNotExist", True, False),
    # Nothing to pull a local name from: the local image is used.
    ("debian-12", "Always", True, False),
])
def test_must_pull(image, policy, present, pull):
    assert must_pull(image, policy, present, "default") is pull


def test_missing_reference_with_never_says_how_to_get_it():
    with pytest.raises(NotFound) as err:
        must_pull(REF, "Never", False, "default")
    assert err.value.msg == ("image lab--debian-12 (the local name of localhost:5000/lab/debian:12) is not "
                             "in storage pool default and pull_policy is Never: set pull_policy IfNotExist, "
                             "or pull it with virter.core.virter_image")


@pytest.mark.parametrize("policy", ["IfNotExist", "Always", "Never"])
def test_missing_local_name_is_never_pulled(policy):
    with pytest.raises(NotFound) as err:
        must_pull("provision:latest", policy, False, "lab")
    assert "image provision:latest is not in storage pool lab (pull_policy %s)" % policy in err.value.msg
    assert "import it with virter.core.virter_image" in err.value.msg


class FakeStore:
    pool_name = "default"

    def __init__(self, tops, pulled_meanwhile=()):
        self.tops = tops
        self.pulled_meanwhile = dict(pulled_meanwhile)
        self.locked = []

    def top_layer(self, name):
        return self.tops.get(name)


@pytest.fixture
def pulls(monkeypatch):
    """The pulls ensure asks for, as (ref, name, check_mode); each gives top layer NEW."""
    calls = []

    def fake_pull(store, importer, ref, name, params, check_mode):
        assert importer.store is store
        calls.append((str(ref), name, check_mode))
        return {"name": name, "top_layer": NEW}

    monkeypatch.setattr(pull, "pull_image", fake_pull)  # ensure imports it when it pulls
    monkeypatch.setattr(vm_image, "held_image", fake_lock)
    return calls


@contextlib.contextmanager
def fake_lock(store, name):
    """The image lock, taken when a run before this one (`store.pulled_meanwhile`) has
    just pulled the image."""
    store.locked.append(name)
    store.tops.update(store.pulled_meanwhile)
    yield


@pytest.mark.parametrize("check_mode", [False, True])
def test_ensure_pulls_a_missing_reference(pulls, check_mode):
    assert ensure(None, FakeStore({}), REF, {"pull_policy": "IfNotExist"}, check_mode) == ("lab--debian-12", NEW)
    assert pulls == [(REF, "lab--debian-12", check_mode)]


@pytest.mark.parametrize("policy, pulled", [("IfNotExist", []), ("Always", [(REF, "lab--debian-12", False)])])
def test_a_pull_waits_for_the_image_lock_and_finds_what_the_run_before_pulled(pulls, policy, pulled):
    store = FakeStore({}, pulled_meanwhile={"lab--debian-12": TOP})
    top = NEW if pulled else TOP
    assert ensure(None, store, REF, {"pull_policy": policy}, False) == ("lab--debian-12", top)
    assert store.locked == ["lab--debian-12"] and pulls == pulled


def test_check_mode_takes_no_lock(pulls):
    store = FakeStore({})
    ensure(None, store, REF, {"pull_policy": "IfNotExist"}, True)
    assert store.locked == [] and pulls == [(REF, "lab--debian-12", True)]


def test_ensure_uses_the_local_image(pulls):
    store = FakeStore({"lab--debian-12": TOP, "debian-12": TOP})
    assert ensure(None, store, REF, {"pull_policy": "IfNotExist"}, False) == ("lab--debian-12", TOP)
    assert ensure(None, store, "debian-12", {"pull_policy": "Always"}, False) == ("debian-12", TOP)
    assert pulls == []
    assert ensure(None, store, REF, {"pull_policy": "Always"}, False) == ("lab--debian-12", NEW)
    assert pulls == [(REF, "lab--debian-12", False)]


def test_ensure_rejects_a_bad_reference_before_pulling(pulls):
    with pytest.raises(InvalidInput, match="image localhost:5000/Lab/debian:12: the repository"):
        ensure(None, FakeStore({}), "localhost:5000/Lab/debian:12", {"pull_policy": "IfNotExist"}, False)
    assert pulls == []
