"""Which leftovers of VMs without a domain are the collection's own (pure)."""
import pytest

from ansible_collections.virter.core.plugins.module_utils._addressing import mac_for_id
from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput
from ansible_collections.virter.core.plugins.module_utils.vm import leftovers as lo
from ansible_collections.virter.core.plugins.module_utils.vm.host_limits import check, max_vcpus


def host(name, vm_id):
    return {"name": name, "mac": mac_for_id(vm_id), "ip": "10.0.0.%d" % vm_id}


def test_a_named_vm_without_domain_is_its_own_leftover():
    assert lo.vm_names("db", None, [], [], ["web-2"]) == ["db"]
    assert lo.vm_names("db", None, [], [], ["db"]) == []


def test_group_members_come_from_named_entries_with_their_ids_mac_and_from_boot_volumes():
    hosts = [host("web-3", 3), host("web-4", 9), host(None, 5), host("web-x", 6), host("web-2", 2)]
    volumes = ["virter:work:web-7", "virter:work:web-7-cidata", "virter:work:web-8-data", "virter:work:web-07",
               "virter:work:webby-9", "virter:tag:web-10"]
    assert lo.vm_names("web", "web", hosts, volumes, ["web-2"]) == ["web-3", "web-7"]


def test_host_entries_are_those_named_after_a_leftover_vm():
    hosts = [host("web-3", 3), host(None, 4), host("db", 5)]
    assert lo.host_entries(hosts, ["web-3"]) == [hosts[0]]


def test_unused_volumes_of_leftover_vms_in_their_pools():
    disks = [{"name": "data", "pool": "fast"}]
    present = {("default", "virter:work:web-3"), ("default", "virter:work:web-3-cidata"),
               ("fast", "virter:work:web-3-data"), ("default", "virter:work:web-3-data")}
    used = {("default", "virter:work:web-3-cidata")}
    assert lo.unused_volumes(["web-3"], "default", disks, present, used) == [
        ("default", "virter:work:web-3"), ("fast", "virter:work:web-3-data")]


CAPS = "<domainCapabilities><path>/usr/bin/qemu</path><vcpu max='288'/></domainCapabilities>"
LIMITS = {"virt_type": "qemu", "max_vcpus": 288, "memory": 4 * 1024 ** 3}


def test_max_vcpus_reads_domain_capabilities():
    assert max_vcpus(CAPS) == 288
    assert max_vcpus("<domainCapabilities/>") is None


@pytest.mark.parametrize("spec, message", [
    ({"vcpus": 289, "memory": 1024 ** 3}, "vcpus 289 of VM a is more than the 288 that qemu VMs"),
    ({"vcpus": 1, "memory": 4097 * 1024 ** 2}, r"VM a \(4097 MiB\) is more than the hypervisor has \(4096 MiB\)"),
])
def test_limits_refuse_what_the_host_cannot_give(spec, message):
    with pytest.raises(InvalidInput, match=message):
        check(spec, LIMITS, "a")


def test_limits_accept_the_host_s_own_size_and_unknown_vcpu_limits():
    check({"vcpus": 288, "memory": 4 * 1024 ** 3}, LIMITS, "a")
    check({"vcpus": 10 ** 5, "memory": 1}, dict(LIMITS, max_vcpus=None), "a")
