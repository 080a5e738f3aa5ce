"""The container a container step runs in, as virter makes it."""
import pytest

from ansible_collections.virter.core.plugins.module_utils.provision.container import plan, target

STEP = {"kind": "container", "image": "img:1", "pull": "IfNotExist", "command": ["sh", "-c", "env"],
        "env": {"B": "1", "TARGETS": "mine"}, "copy": None}
NETWORK = {"cidr": "192.168.122.1/24", "domain": "lab"}
FILES = {"private_key": "/k", "known_hosts": "/kh", "ssh_config": "/c", "workspace": "/w"}
HOSTS = [{"inventory_hostname": "lab-web", "virter_name": "web", "ansible_host": "192.168.122.2",
          "ansible_user": "debian"},
         {"inventory_hostname": "db", "ansible_host": "192.168.122.3"}]


def test_a_target_is_named_as_the_vm_and_defaults_to_root():
    assert [target(host) for host in HOSTS] == [{"name": "web", "ip": "192.168.122.2", "user": "debian"},
                                                {"name": "db", "ip": "192.168.122.3", "user": "root"}]


def test_one_container_for_all_targets_with_virters_environment():
    made = plan(STEP, HOSTS, "podman", NETWORK, FILES)
    assert made["name"] == "virter-web-db"
    # virter's own variables win over the step's.
    assert made["env"] == {"B": "1", "TARGETS": "web,db", "VIRTER_ACCESS_NETWORK": "192.168.122.1/24"}
    assert made["ssh_config"] == "Host web 192.168.122.2\n\tUser debian\nHost db 192.168.122.3\n\tUser root\n"


def test_the_create_command_has_host_networking_hosts_env_names_and_read_only_mounts():
    args = plan(STEP, HOSTS, "docker", NETWORK, FILES)["create"]
    assert args[:9] == ["docker", "create", "--name", "virter-web-db", "--network", "host",
                        "--security-opt", "label=disable", "--pull"]
    assert args[9:14] == ["missing", "--dns", "192.168.122.1", "--dns-search", "lab"]
    pairs = list(zip(args[14:-4:2], args[15:-4:2]))
    assert [value for flag, value in pairs if flag == "--add-host"] == [
        "web:192.168.122.2", "web.lab:192.168.122.2", "db:192.168.122.3", "db.lab:192.168.122.3"]
    # Names only: the values come from the engine's environment (a PEM key has newlines).
    assert [value for flag, value in pairs if flag == "--env"] == [
        "B", "TARGETS", "VIRTER_ACCESS_NETWORK", "SSH_PRIVATE_KEY"]
    assert [value for flag, value in pairs if flag == "--volume"] == [
        "/k:/root/.ssh/id_rsa:ro", "/kh:/root/.ssh/known_hosts:ro", "/c:/etc/ssh/ssh_config.virter:ro",
        "/w:/virter/workspace:ro"]
    assert args[-4:] == ["img:1", "sh", "-c", "env"]


def test_pull_policies_and_no_domain():
    for policy, word in (("Always", "always"), ("Never", "never")):
        args = plan(dict(STEP, pull=policy, command=[]), HOSTS[1:], "podman", {"cidr": "10.0.0.1/16"}, FILES)["create"]
        assert args[args.index("--pull") + 1] == word
        assert "--dns-search" not in args and args[-1] == "img:1"
        assert args.count("--add-host") == 1


@pytest.mark.parametrize("jump", [{"virter_ssh_proxy_command": "ssh -W %h:%p hv1"},
                                  {"ansible_ssh_common_args": "-o ProxyCommand='ssh -W %h:%p hv1'"}])
def test_a_target_behind_a_jump_is_refused_by_name(jump):
    with pytest.raises(ValueError, match="web is reached through its hypervisor"):
        plan(STEP, [dict(HOSTS[0], **jump)], "podman", NETWORK, FILES)
