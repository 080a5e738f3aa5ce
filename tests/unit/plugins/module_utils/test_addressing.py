import ipaddress

import pytest

from ansible_collections.virter.core.plugins.module_utils import _addressing as a
from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput


@pytest.mark.parametrize("value, expected", [
    (1, 1024 ** 2),
    ("4096", 4096 * 1024 ** 2),
    ("1G", 1024 ** 3),
    ("1GiB", 1024 ** 3),
    ("1GB", 10 ** 9),
    ("512M", 512 * 1024 ** 2),
    ("2K", 2048),
    ("2kB", 2000),
    ("1T", 1024 ** 4),
    ("3TB", 3 * 10 ** 12),
    ("100B", 100),
    (" 10 G ", 10 * 1024 ** 3),
])
def test_parse_size(value, expected):
    assert a.parse_size(value) == expected


@pytest.mark.parametrize("value", ["", "G", "1.5G", "-1G", "1g", "1Gb", "ten", None, True, [1]])
def test_parse_size_rejects(value):
    with pytest.raises(InvalidInput, match="invalid size"):
        a.parse_size(value)


@pytest.mark.parametrize("name", ["a", "vm-1", "Debian_12.x", "0abc", "a" * 63])
def test_valid_names(name):
    assert a.validate_name(name) == name


@pytest.mark.parametrize("name", ["", "-a", ".a", "_a", "a b", "a/b", "a:b", "a" * 64, "é", None, 5, "a\n"])
def test_invalid_names(name):
    with pytest.raises(InvalidInput, match="invalid network name"):
        a.validate_name(name, "network name")


@pytest.mark.parametrize("name", ["lab", "lab.test", "a-1.B2", "x", "0.0", "a" * 63 + ".test",
                                  ".".join(["a" * 63] * 3 + ["b" * 61])])
def test_dns_names(name):
    assert a.validate_dns_name(name) == name


@pytest.mark.parametrize("name", ["lab test", "", "lab..test", ".lab", "lab.", "-lab.test", "lab-.test",
                                  "lab_test", "a" * 64 + ".test", ".".join(["a" * 63] * 3 + ["b" * 62]),
                                  "lab\n", "läb", None, 5])
def test_dns_names_rejected(name):
    with pytest.raises(InvalidInput, match="invalid domain .*: use a DNS name"):
        a.validate_dns_name(name)


@pytest.mark.parametrize("vm_id, mac", [
    (0, "52:54:00:00:00:00"),
    (42, "52:54:00:00:00:2a"),
    (100, "52:54:00:00:00:64"),
    (300, "52:54:00:00:01:2c"),
    (0xFFFFFF, "52:54:00:ff:ff:ff"),
])
def test_mac_for_id_and_back(vm_id, mac):
    assert a.mac_for_id(vm_id) == mac
    assert a.id_from_mac(mac) == vm_id
    assert a.id_from_mac(mac.upper()) == vm_id


@pytest.mark.parametrize("vm_id", [-1, 0x1000000, "3", True, None])
def test_mac_for_id_rejects(vm_id):
    with pytest.raises(InvalidInput):
        a.mac_for_id(vm_id)


@pytest.mark.parametrize("mac", ["aa:bb:cc:dd:ee:ff", "52:54:01:00:00:00", "52:54:00:00:00", "x", None])
def test_id_from_foreign_mac(mac):
    assert a.id_from_mac(mac) is None


def test_normalize_mac():
    assert a.normalize_mac("52:54:00:AB:00:01") == "52:54:00:ab:00:01"
    with pytest.raises(InvalidInput):
        a.normalize_mac("52-54-00-ab-00-01")


def test_parse_cidr():
    iface = a.parse_cidr("192.168.250.1/24")
    assert iface == ipaddress.IPv4Interface("192.168.250.1/24")
    assert a.format_cidr(iface) == "192.168.250.1/24"
    assert a.format_cidr(a.parse_cidr("10.0.0.1/255.255.0.0")) == "10.0.0.1/16"


@pytest.mark.parametrize("cidr, match", [
    ("192.168.250.1", "prefix length"),
    ("192.168.250.1/33", "prefix length"),
    ("192.168.250/24", "prefix length"),
    ("fd00::1/64", "IPv4"),
    ("banana", "IPv4"),
    ("", "IPv4"),
    (None, "IPv4"),
    ("192.168.250.0/24", "not the network or broadcast"),
    ("192.168.250.255/24", "not the network or broadcast"),
    ("192.168.250.1/31", "30 or shorter"),
    ("192.168.250.1/32", "30 or shorter"),
])
def test_parse_cidr_rejects(cidr, match):
    with pytest.raises(InvalidInput, match=match):
        a.parse_cidr(cidr)


def test_ip_for_id():
    iface = a.parse_cidr("192.168.122.1/24")
    assert a.ip_for_id(iface, 42) == "192.168.122.42"
    assert a.ip_for_id(iface, 254) == "192.168.122.254"
    assert a.ip_for_id(a.parse_cidr("10.1.0.1/16"), 300) == "10.1.1.44"
    # the host address is not id 1 when the host is elsewhere
    assert a.ip_for_id(a.parse_cidr("192.168.122.254/24"), 1) == "192.168.122.1"


@pytest.mark.parametrize("vm_id, match", [
    (0, "network address"),
    (1, "host's own address"),
    (255, "broadcast address"),
    (256, "outside"),
    (-1, "non-negative"),
])
def test_ip_for_id_rejects(vm_id, match):
    with pytest.raises(InvalidInput, match=match):
        a.ip_for_id(a.parse_cidr("192.168.122.1/24"), vm_id)


def test_id_from_ip():
    iface = a.parse_cidr("10.1.0.1/16")
    assert a.id_from_ip(iface, "10.1.1.44") == 300
    assert a.id_from_ip(iface, "10.2.0.1") is None
    assert a.id_from_ip(iface, "nonsense") is None


@pytest.mark.parametrize("cidr, expected", [
    ("192.168.122.1/24", ("192.168.122.2", "192.168.122.254")),
    ("10.0.0.1/16", ("10.0.0.2", "10.0.255.254")),
    # more than 16 host bits: capped at network + 65535
    ("10.0.0.1/8", ("10.0.0.2", "10.0.255.255")),
    ("192.168.1.129/25", ("192.168.1.130", "192.168.1.254")),
    ("192.168.1.1/30", ("192.168.1.2", "192.168.1.2")),
])
def test_dhcp_range(cidr, expected):
    assert a.dhcp_range(a.parse_cidr(cidr)) == expected


def test_dhcp_range_without_room():
    with pytest.raises(InvalidInput, match="no room"):
        a.dhcp_range(a.parse_cidr("192.168.1.2/30"))


def test_ids_for():
    iface = a.parse_cidr("192.168.200.1/24")
    assert a.ids_for({"first": 2, "count": 2}, iface) == [
        (2, "52:54:00:00:00:02", "192.168.200.2"),
        (3, "52:54:00:00:00:03", "192.168.200.3"),
    ]
    assert a.ids_for({"first": 2, "count": 0}, iface) == []


@pytest.mark.parametrize("ids, match", [
    ({"first": 250, "count": 10}, "do not fit"),
    ({"first": 1, "count": 2}, "host's own address"),
    ({"first": 0, "count": 2}, "network address"),
    ({"first": 2, "count": 65536}, "at most|from 0 to 65535"),
    ({"first": 2, "count": -1}, "from 0 to 65535"),
    ({"first": -3, "count": 2}, "negative"),
    ({"first": 2}, "both first and count"),
])
def test_ids_for_rejects(ids, match):
    with pytest.raises(InvalidInput, match=match):
        a.ids_for(ids, a.parse_cidr("192.168.200.1/24"))


def test_ids_for_big_subnet_cap():
    iface = a.parse_cidr("10.0.0.1/8")
    assert len(a.ids_for({"first": 2, "count": 65535}, iface)) == 65535


def test_free_ids_start_at_the_first_vm_id_and_skip_the_host():
    iface = a.parse_cidr("192.168.250.5/29")
    assert a.id_range(iface) == (a.FIRST_VM_ID, 6)
    assert list(a.free_ids(iface, {3})) == [2, 4, 6]
    # A host address at .1 is below the first VM id anyway.
    assert list(a.free_ids(a.parse_cidr("10.0.0.1/29"), set())) == [2, 3, 4, 5, 6]
