"""The thread pool of the VM service: results in start order, the first error once all are done."""
import threading

import libvirt
import pytest

from ansible_collections.virter.core.plugins.module_utils._errors import LibvirtError
from ansible_collections.virter.core.plugins.module_utils.vm.workers import Workers, parallel


def test_results_come_in_start_order():
    gate = threading.Event()

    def work(item):
        if item == 0:
            gate.wait(5)  # the first finishes last
        else:
            gate.set()
        return item * 10
    assert parallel(work, [0, 1, 2], "work") == [0, 10, 20]


def test_join_waits_for_all_then_raises_the_first_error():
    done = []

    def work(item):
        if item == "bad":
            raise libvirt.libvirtError("refused")
        done.append(item)
    workers = Workers("create VM")
    for item in ("bad", "a", "b"):
        workers.start(work, item)
    with pytest.raises(LibvirtError, match="create VM"):
        workers.join()
    assert sorted(done) == ["a", "b"]
