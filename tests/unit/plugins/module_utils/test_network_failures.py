"""libvirt's and dnsmasq's refusals as sentences. The messages are libvirt 9.0's and
dnsmasq 2.90's, as they came from the sandbox."""
import pytest

from ansible_collections.virter.core.plugins.module_utils.network import failures as f

DESIRED = {"name": "lab", "cidr": "192.168.217.1/24", "dnsmasq_options": []}
CHILD = ("internal error: Child process (VIR_BRIDGE_NAME=vtbr-lab /usr/sbin/dnsmasq "
         "--conf-file=/var/lib/libvirt/dnsmasq/lab.conf --leasefile-ro "
         "--dhcp-script=/usr/lib/libvirt/libvirt_leaseshelper) unexpected exit status %d: \ndnsmasq: %s\n")


@pytest.mark.parametrize("message, options, expected", [
    ("internal error: bridge name 'virbr0' already in use.", [],
     "bridge virbr0 is the bridge of another network already: choose another bridge name, or leave bridge "
     "unset so that libvirt picks a free one"),
    ("error creating bridge interface lo: File exists", [],
     "bridge lo cannot be made: the hypervisor has an interface of that name already; choose another bridge "
     "name, or leave bridge unset so that libvirt picks a free one"),
    ("internal error: Network is already in use by interface vtdummy", [],
     "network lab cannot start: its subnet 192.168.217.0/24 is in use by interface vtdummy of the hypervisor "
     "already; choose another cidr, or remove that address from vtdummy"),
    (CHILD % (2, "failed to create listening socket for 192.168.217.1: Address already in use"), [],
     "network lab cannot start: address 192.168.217.1 is in use by another DNS or DHCP server on the hypervisor "
     "already; stop that server or choose another cidr (dnsmasq: failed to create listening socket for "
     "192.168.217.1: Address already in use)"),
    (CHILD % (1, "bad option at line 13 of /var/lib/libvirt/dnsmasq/lab.conf"), ["no-such-option"],
     "network lab cannot start: dnsmasq refuses its configuration (bad option at line 13 of "
     "/var/lib/libvirt/dnsmasq/lab.conf); check dnsmasq_options: give each option as a line of dnsmasq.conf "
     "without the leading '--', e.g. log-dhcp or dhcp-option=option:ntp-server,192.168.250.1"),
    (CHILD % (1, "bad option at line 13 of /var/lib/libvirt/dnsmasq/lab.conf"), [],
     "network lab cannot start: dnsmasq does not start (bad option at line 13 of /var/lib/libvirt/dnsmasq/lab.conf)"),
    ("internal error: Child process (/usr/sbin/iptables -w --table filter --insert LIBVIRT_INP) unexpected "
     "exit status 4: iptables: Resource temporarily unavailable.\n", [],
     "network lab cannot start: iptables exited with status 4 (iptables: Resource temporarily unavailable.)"),
])
def test_explained(message, options, expected):
    assert f.explain(dict(DESIRED, dnsmasq_options=options), message) == expected


def test_other_messages_stay_libvirts():
    assert f.explain(DESIRED, "Requested operation is not valid: network is already active") is None


@pytest.mark.parametrize("output, expected", [
    ("\ndnsmasq: bad option at line 2 of /tmp/virter-dnsmasq-x.conf\n",
     "dnsmasq option 'no-such-option' is refused by dnsmasq (bad option): give each option"),
    ("\ndnsmasq: bad dhcp-range at line 1 of /tmp/virter-dnsmasq-x.conf\n",
     "dnsmasq option 'log-dhcp' is refused by dnsmasq (bad dhcp-range): give each option"),
    ("\ndnsmasq: cannot access directory /nonexistent: No such file or directory\n",
     "dnsmasq refuses dnsmasq_options (cannot access directory /nonexistent: No such file or directory): give"),
])
def test_refused_options(output, expected):
    assert f.refused_options(["log-dhcp", "no-such-option"], output).startswith(expected)
