"""The inventory plugin over libvirt's in-process test driver."""
import shlex
from pathlib import Path

import libvirt

import pytest
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible.plugins.loader import inventory_loader

from ansible_collections.virter.core.plugins.inventory.virter import _pinned, _write_private
from ansible_collections.virter.core.plugins.module_utils._errors import Conflict
from ansible_collections.virter.core.plugins.module_utils.inventory.hosts import host_names, ssh_args_for
from ansible_collections.virter.core.plugins.module_utils.vm import domain_xml

URI = "test:///default"


@pytest.fixture
def conn():
    """Holding a connection keeps the test driver's state for the plugin's own connection."""
    conn = libvirt.open(URI)
    net = conn.networkLookupByName("default")

    def vm(name, vm_id, running=True, group=None, ed25519=None):
        mac = "52:54:00:00:00:%02x" % vm_id
        net.update(libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST, -1,
                   "<host mac='%s' ip='192.168.122.%d'/>" % (mac, vm_id),
                   libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE | libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG)
        dom = conn.defineXML(domain_xml.build({
            "name": name, "uuid": None, "virt_type": "test", "arch": "amd64", "memory": 1024 ** 2 * 64,
            "vcpus": 1, "user": "root", "host_key": "ssh-rsa AAAA%s" % name, "group": group, "image": "debian-12",
            "pool": "default-pool", "boot_volume": "virter:work:" + name, "seed_volume": "virter:work:%s-cidata" % name,
            "mac": mac, "network": "default", "host_key_ed25519": ed25519,
        }))
        if running:
            dom.create()

    vm("web-5", 5, group="web", ed25519="ssh-ed25519 BBBBweb-5")
    vm("web-6", 6, group="web")  # as virter makes them: the RSA key only
    vm("db", 7, running=False)
    yield conn
    conn.close()


def run_plugin(tmp_path, source="lab.virter.yml", **options):
    """Parse `source` in tmp_path; known_hosts_file=None leaves the option out."""
    path = tmp_path / source
    config = dict({"plugin": "virter.core.virter", "uri": [URI], "known_hosts_file": str(tmp_path / "kh")}, **options)
    import yaml

    path.write_text(yaml.safe_dump(dict((key, value) for key, value in config.items() if value is not None)))
    inventory = InventoryData()
    plugin = inventory_loader.get("virter.core.virter")
    plugin.templar = Templar(loader=DataLoader())
    assert plugin.verify_file(str(path))
    plugin.parse(inventory, DataLoader(), str(path), cache=False)
    return inventory


def test_running_vms_become_hosts_with_pinned_keys(conn, tmp_path):
    inventory = run_plugin(tmp_path)
    assert sorted(inventory.hosts) == ["web-5", "web-6"]
    web5 = inventory.get_host("web-5").vars
    assert web5["ansible_host"] == "192.168.122.5"
    assert web5["ansible_user"] == "root"
    assert web5["virter_id"] == 5 and web5["virter_group"] == "web" and web5["virter_state"] == "running"
    assert "StrictHostKeyChecking=yes" in web5["ansible_ssh_common_args"]
    assert web5["ansible_host_key_checking"] is True
    assert web5["ansible_pipelining"] is True
    assert "UserKnownHostsFile=%s" % (tmp_path / "kh") in web5["ansible_ssh_common_args"]
    lines = (tmp_path / "kh").read_text().splitlines()
    assert sorted(lines) == ["192.168.122.5,web-5 ssh-ed25519 BBBBweb-5", "192.168.122.5,web-5 ssh-rsa AAAAweb-5",
                             "192.168.122.6,web-6 ssh-rsa AAAAweb-6"]
    assert oct((tmp_path / "kh").stat().st_mode & 0o777) == "0o600"


def test_stopped_vms_filters_and_keyed_groups(conn, tmp_path):
    inventory = run_plugin(tmp_path, include_stopped=True, keyed_groups=[{"key": "virter_image", "prefix": "image"}])
    assert sorted(inventory.hosts) == ["db", "web-5", "web-6"]
    assert [h.name for h in inventory.groups["virter_stopped"].get_hosts()] == ["db"]
    assert "ansible_host" not in inventory.get_host("db").vars
    assert len(inventory.groups["image_debian_12"].get_hosts()) == 3
    assert sorted(run_plugin(tmp_path, filters={"name": "web-*"}).hosts) == ["web-5", "web-6"]
    assert sorted(run_plugin(tmp_path, filters={"group": "web"}, include_stopped=True).hosts) == ["web-5", "web-6"]
    assert sorted(run_plugin(tmp_path, network="elsewhere").hosts) == []


def test_pipelining_can_be_turned_off(conn, tmp_path):
    assert run_plugin(tmp_path, pipelining=False).get_host("web-5").vars["ansible_pipelining"] is False


def known_hosts_of(inventory, host):
    args = inventory.get_host(host).vars["ansible_ssh_common_args"]
    return args.split("UserKnownHostsFile=", 1)[1].split(" ", 1)[0]


def test_default_known_hosts_file_is_one_per_source(conn, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    web5 = run_plugin(tmp_path, "web5.virter.yml", known_hosts_file=None, filters={"name": "web-5"})
    web6 = run_plugin(tmp_path, "web6.virter.yml", known_hosts_file=None, filters={"name": "web-6"})
    kh5, kh6 = Path(known_hosts_of(web5, "web-5")), Path(known_hosts_of(web6, "web-6"))
    assert kh5 != kh6 and kh5.parent == kh6.parent == tmp_path / "cache" / "virter-core"
    assert kh5.read_text() == "192.168.122.5,web-5 ssh-rsa AAAAweb-5\n192.168.122.5,web-5 ssh-ed25519 BBBBweb-5\n"
    assert kh6.read_text() == "192.168.122.6,web-6 ssh-rsa AAAAweb-6\n"
    # The name follows the source's path, not its content.
    assert known_hosts_of(run_plugin(tmp_path, "web5.virter.yml", known_hosts_file=None), "web-6") == str(kh5)


def test_a_cache_from_before_ed25519_still_pins_the_rsa_key():
    assert _pinned({"known_hosts_line": "192.168.122.5,a ssh-rsa AAAA"}) == ["192.168.122.5,a ssh-rsa AAAA"]
    assert _pinned({"known_hosts_line": None}) == []
    assert _pinned({"known_hosts_line": "x ssh-rsa A", "known_hosts_lines": ["x ssh-rsa A", "x ssh-ed25519 B"]}) == [
        "x ssh-rsa A", "x ssh-ed25519 B"]


def test_write_private_replaces_the_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "dir" / "kh"
    _write_private(str(path), ["old"])
    _write_private(str(path), ["a", "b"])
    assert path.read_text() == "a\nb\n"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in path.parent.iterdir()] == ["kh"]


def test_unreachable_uri_is_a_clear_error(tmp_path):
    from ansible.errors import AnsibleError

    with pytest.raises(AnsibleError, match="virter inventory: cannot connect to qemu\\+ssh://"):
        run_plugin(tmp_path, uri=["qemu+ssh://nobody@127.0.0.1:1/system?no_tty=1&no_verify=1"])


def test_host_names_disambiguate_by_hypervisor():
    vms = {"qemu+ssh://hv1/system": [{"name": "a"}, {"name": "b"}], "qemu+ssh://hv2/system": [{"name": "a"}]}
    assert host_names(vms) == {("qemu+ssh://hv1/system", "a"): "hv1_a", ("qemu+ssh://hv1/system", "b"): "b",
                               ("qemu+ssh://hv2/system", "a"): "hv2_a"}
    assert host_names(vms, "lab_") == {("qemu+ssh://hv1/system", "a"): "lab_hv1_a", ("qemu+ssh://hv1/system", "b"): "lab_b",
                                       ("qemu+ssh://hv2/system", "a"): "lab_hv2_a"}
    assert host_names({"qemu:///system": [{"name": "a"}]}, "lab_") == {("qemu:///system", "a"): "lab_a"}


@pytest.mark.parametrize("vms", [
    {"qemu:///system": [{"name": "a"}], "qemu:///session": [{"name": "a"}]},
    {"qemu+ssh://hv1/system": [{"name": "a"}], "qemu+ssh://hv2/system": [{"name": "a"}, {"name": "hv1_a"}]},
])
def test_host_names_that_still_clash_are_an_error_naming_both(vms):
    first, second = vms
    with pytest.raises(Conflict) as failed:
        host_names(vms)
    assert first in failed.value.msg and second in failed.value.msg
    assert "hostname_prefix" in failed.value.msg


def test_clashing_host_names_fail_the_parse(conn, tmp_path):
    from ansible.errors import AnsibleError

    with pytest.raises(AnsibleError, match="virter inventory: VM web-5 of test:///default and VM web-5 of "
                                           "test:///default\\? would both be host localhost_web-5"):
        run_plugin(tmp_path, uri=[URI, URI + "?"])


def test_ssh_args_jump_through_remote_hypervisors():
    assert "Proxy" not in ssh_args_for("qemu:///system", "/kh", "web")
    args = shlex.split(ssh_args_for("qemu+ssh://root@hv1:2222/system?keyfile=/k", "/kh", "web"))
    assert args[-4:] == ["-o", "HostKeyAlias=web", "-o",
                         "ProxyCommand=ssh -o BatchMode=yes -p 2222 -l root -i /k -W %h:%p hv1"]
    # A transport without SSH has no hypervisor to jump through: the VMs are reached directly.
    assert "Proxy" not in ssh_args_for("qemu+tls://hv1/system", "/kh", "web")


@pytest.mark.parametrize("options, words", [
    ({"colour": "blue"}, "unknown option colour (the options are: cache,"),
    ({"filter": {"group": "web"}, "colour": 1}, "unknown options colour, filter (did you mean filters?"),
    ({"filters": {"colour": "blue"}}, "unknown filter colour (the filters are: group, image, name)"),
    ({"filters": {"grup": "web"}}, "unknown filter grup (did you mean group?"),
    ({"filters": {"image": ""}}, "filter image must be a non-empty string, not ''"),
    ({"filters": {"group": ["web"]}}, "filter group must be a non-empty string"),
    ({"uri": ""}, "uri '' is not a libvirt URI"),
    ({"uri": ["qemu:///system", " "]}, "uri ' ' is not a libvirt URI"),
    ({"uri": []}, "uri names no libvirt URI"),
    ({"network": ""}, "network is empty"),
])
def test_bad_sources_are_refused_before_any_connection(tmp_path, options, words):
    """No test:///default fixture: a refused source never connects."""
    from ansible.errors import AnsibleParserError

    with pytest.raises(AnsibleParserError) as failed:
        run_plugin(tmp_path, **options)
    assert str(failed.value).startswith("virter inventory %s: " % (tmp_path / "lab.virter.yml"))
    assert words in str(failed.value), str(failed.value)


def test_unset_filters_and_constructed_options_are_accepted(conn, tmp_path):
    inventory = run_plugin(tmp_path, filters={"name": None, "group": "web"}, strict=True, compose={},
                           leading_separator=True, cache=False)
    assert sorted(inventory.hosts) == ["web-5", "web-6"]
