"""The jump through a remote hypervisor, made from its libvirt URI."""
import shlex

import pytest

from ansible_collections.virter.core.plugins.module_utils._errors import VirterError
from ansible_collections.virter.core.plugins.module_utils._ssh_jump import over_ssh, proxy_argv, proxy_command, proxy_option


def test_a_local_uri_needs_no_jump():
    assert proxy_argv("qemu:///system") is None
    assert proxy_command("qemu:///session") is None
    assert proxy_option("qemu:///system") == ""


def test_the_jump_reaches_the_hypervisor_as_libvirt_does():
    uri = "qemu+ssh://admin@hv1.example:2222/system?keyfile=/keys/id%20ed&command=/opt/ssh&no_verify=1"
    assert proxy_argv(uri) == ["/opt/ssh", "-o", "BatchMode=yes", "-p", "2222", "-l", "admin",
                               "-i", "/keys/id ed", "-W", "%h:%p", "hv1.example"]
    # no_verify is not followed: nothing turns host key checking off.
    assert "StrictHostKeyChecking" not in proxy_command(uri)


def test_defaults_leave_user_port_and_key_to_ssh():
    assert proxy_argv("qemu+ssh://hv1/system") == ["ssh", "-o", "BatchMode=yes", "-W", "%h:%p", "hv1"]
    assert proxy_argv("qemu+ssh://hv1/system", "192.168.1.2", 22)[-2:] == ["192.168.1.2:22", "hv1"]


def test_libssh_transports_use_openssh_with_their_known_hosts():
    argv = proxy_argv("qemu+libssh2://root@hv2/system?known_hosts=/kh&command=/ignored")
    assert argv == ["ssh", "-o", "BatchMode=yes", "-l", "root", "-o", "UserKnownHostsFile=/kh",
                    "-W", "%h:%p", "hv2"]


def test_the_option_is_one_word_for_ansible():
    option = proxy_option("qemu+ssh://root@hv1/system?keyfile=/k%20k")
    assert shlex.split(option) == ["-o", "ProxyCommand=ssh -o BatchMode=yes -l root -i '/k k' -W %h:%p hv1"]


@pytest.mark.parametrize("uri", ["qemu+tls://hv1/system", "qemu+tcp://hv1/system"])
def test_a_remote_uri_without_ssh_has_no_jump(uri):
    with pytest.raises(VirterError, match="not SSH, so there is no SSH jump through the hypervisor"):
        proxy_argv(uri)


@pytest.mark.parametrize("uri, expected", [
    ("qemu:///system", False), ("qemu+tls://hv1/system", False),
    ("qemu+ssh://hv1/system", True), ("qemu+libssh2://root@hv1/system", True)])
def test_over_ssh_names_uris_with_a_host_to_jump_through(uri, expected):
    assert over_ssh(uri) is expected
