"""The holder line of a lock volume, and whether the process it names has ended."""
import json
import os
import subprocess

from ansible_collections.virter.core.plugins.module_utils.locks import owner as lock_owner


def line(pid, host=None):
    host = lock_owner._host() if host is None else host
    return (json.dumps({"host": host, "pid": pid, "start": lock_owner._start_time(pid)}) + "\n").encode()


def test_this_process_has_not_ended():
    assert lock_owner.record() == line(os.getpid())
    assert lock_owner.ended(lock_owner.record() + b"\0" * 100) is False  # the rest of the volume


def test_a_process_has_ended_once_it_exits_even_before_it_is_reaped():
    child = subprocess.Popen(["sleep", "30"])
    held = line(child.pid)
    assert lock_owner.ended(held) is False
    child.kill()
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # a zombie now
    assert lock_owner.ended(held) is True
    child.wait()
    assert lock_owner.ended(held) is True


def test_a_reused_pid_is_not_the_holder():
    held = json.loads(line(os.getpid()))
    held["start"] = str(int(held["start"]) - 1)
    assert lock_owner.ended(json.dumps(held).encode()) is True


def test_nothing_is_said_of_other_machines_or_unreadable_lines():
    child = subprocess.Popen(["sleep", "30"])
    elsewhere = line(child.pid, host="another-boot pid:[1]")
    child.kill()
    child.wait()
    assert lock_owner.ended(elsewhere) is False
    for data in (b"", b"\0" * 64, b"not json\n", b"[1]\n", b'{"pid": "1", "start": "2"}\n', b"\xff\n"):
        assert lock_owner.ended(data) is False, data
