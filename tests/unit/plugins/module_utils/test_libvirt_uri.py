import pytest

from ansible_collections.virter.core.plugins.module_utils._libvirt_uri import scheme_problem


@pytest.mark.parametrize("uri", ["qemu:///system", "QEMU:///system", "qemu+ssh://root@host/system?keyfile=/k",
                                 "test:///default", "test+unix:///default", "lxc:///", "ch:///session",
                                 "network:///system", "remote+tls://host/", "qemu+LIBSSH2://h/system", ""])
def test_known_schemes(uri):
    assert scheme_problem(uri) is None


@pytest.mark.parametrize("uri, expected", [
    ("foo://x/system", "libvirt has no driver foo: write the URI as driver[+transport]://[user@]host/path, "
                       "e.g. qemu:///system or qemu+ssh://root@host/system, with a driver such as qemu"),
    ("foo+ssh://x/system", "libvirt has no driver foo:"),
    ("qemu+foo:///system", "libvirt has no transport foo: use one of tls, unix, ssh, ext, tcp, libssh2, libssh"),
    ("bogus", "bogus is not a libvirt URI (nor an alias of libvirt.conf's uri_aliases): write the URI as"),
    ("/var/run/libvirt/libvirt-sock", "is not a libvirt URI"),
])
def test_unknown_schemes(uri, expected):
    assert expected in scheme_problem(uri)
