import pytest

from ansible_collections.virter.core.plugins.module_utils import _ansible_module as ansible_module
from ansible_collections.virter.core.plugins.module_utils._errors import Conflict, InvalidInput, LibvirtError


class Exited(Exception):
    pass


class FakeModule:
    def __init__(self, uri="test:///default"):
        self.params = {"uri": uri}
        self.result = None

    def fail_json(self, **result):
        self.result = dict(result, failed=True)
        raise Exited()

    def exit_json(self, **result):
        self.result = result
        raise Exited()


def run(module, action):
    with pytest.raises(Exited):
        ansible_module.run(module, action)
    return module.result


def test_result_is_exited_with():
    result = run(FakeModule(), lambda conn: {"changed": False, "uri": conn.getURI()})
    assert result == {"changed": False, "uri": "test:///default"}


def test_virter_error_becomes_a_clean_failure():
    def action(conn):
        raise Conflict("network x has VMs attached", attached=["a"])
    assert run(FakeModule(), action) == {"failed": True, "msg": "network x has VMs attached", "attached": ["a"]}


def test_libvirt_error_becomes_a_clean_failure():
    result = run(FakeModule(), lambda conn: conn.networkLookupByName("missing"))
    assert result["failed"] and result["msg"].startswith("libvirt error: Network not found")
    assert "Traceback" not in result["msg"]


def test_connection_failure():
    result = run(FakeModule("nonsense:///x"), lambda conn: {})
    assert result["failed"] and result["msg"].startswith("cannot connect to nonsense:///x: ")


@pytest.mark.parametrize("uri, expected", [
    ("foo:///system", "cannot connect to foo:///system: libvirt has no driver foo: write the URI as"),
    ("qemu+foo:///system", "cannot connect to qemu+foo:///system: libvirt has no transport foo: use one of"),
])
def test_a_scheme_libvirt_does_not_know_is_explained(uri, expected):
    with pytest.raises(InvalidInput) as refused:
        ansible_module.connect(uri)
    assert refused.value.msg.startswith(expected)
    assert "no connection driver available" not in refused.value.msg


def test_a_known_scheme_keeps_libvirts_reason():
    with pytest.raises(LibvirtError, match="cannot connect to test:///nonexistent/file.xml: "):
        ansible_module.connect("test:///nonexistent/file.xml")


def test_missing_libvirt_python(monkeypatch):
    monkeypatch.setattr(ansible_module, "LIBVIRT_IMPORT_ERROR", "Traceback: No module named libvirt")
    result = run(FakeModule(), lambda conn: {})
    assert "libvirt-python" in result["msg"] and result["exception"].startswith("Traceback")


def test_common_options_and_env_fallbacks(monkeypatch):
    spec = ansible_module.COMMON_ARGUMENT_SPEC
    assert spec["uri"]["fallback"][1] == ["VIRTER_LIBVIRT_URI", "LIBVIRT_DEFAULT_URI"]
    assert spec["pool"]["fallback"][1] == ["VIRTER_LIBVIRT_POOL"]
    assert spec["network"]["fallback"][1] == ["VIRTER_LIBVIRT_NETWORK"]
    assert {k: v["default"] for k, v in spec.items()} == {
        "uri": "qemu:///system", "pool": "default", "network": "default"}
