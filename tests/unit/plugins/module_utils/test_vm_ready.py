"""vm.ready.wait's clock: VMs waited for at once each get the timeout from the last one
that was ready."""
import time

import pytest

from ansible_collections.virter.core.plugins.module_utils._errors import VirterError
from ansible_collections.virter.core.plugins.module_utils.vm import ready


@pytest.fixture
def answers(monkeypatch):
    """{VM name: seconds after the start when it answers (None: never)}."""
    when = {}
    begun = time.monotonic()
    monkeypatch.setattr(ready, "_PERIOD", 0.02)
    monkeypatch.setattr(ready, "_ssh_banner", lambda vm, uri: (
        (True, "") if when[vm["name"]] is not None and time.monotonic() - begun >= when[vm["name"]]
        else (False, "connection refused")))
    return when


def vms(*names):
    return [{"name": name, "ip": "192.0.2.1", "user": "root", "known_hosts_lines": [], "console_file": None}
            for name in names]


def test_each_vm_has_the_timeout_from_the_last_one_ready(answers):
    # b answers 0.5 s after the start, more than the timeout, but 0.25 s after a did.
    answers.update(a=0.25, b=0.5)
    ready.wait(vms("a", "b"), "ssh", 0.4)


def test_the_wait_fails_when_the_timeout_passes_without_another_vm_ready(answers):
    answers.update(a=0.1, b=None)
    begun = time.monotonic()
    with pytest.raises(VirterError) as failed:
        ready.wait(vms("a", "b"), "ssh", 0.3)
    assert time.monotonic() - begun >= 0.4  # 0.1 s for a, then 0.3 s without progress
    assert failed.value.msg == "VM b not answering on SSH after 0s: b: connection refused"
    assert set(failed.value.details["not_ready"]) == {"b"}
