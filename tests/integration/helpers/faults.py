"""Kill a playbook and the module it runs at a chosen moment, for fault tests.

ansible-core's worker calls setsid, so the module runs in a session and process group of
its own: killing ansible-playbook's group alone leaves the module running. Every process
of one run carries a marker in its environment, which still finds them after the
controller's death has reparented them; kill -9 goes to each of their process groups.
"""
import os
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import yaml

MARK = "VIRTER_FAULT_RUN"
POLL = 0.005  # seconds between looks at the run


def _play(tasks):
    return [{"name": "fault trial", "hosts": "localhost", "connection": "local", "gather_facts": False,
             "tasks": tasks}]


def _marked(token):
    """{pid: argv} of the live processes whose environment has MARK=token."""
    needle = f"{MARK}={token}".encode()
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as env:
                if needle not in env.read().split(b"\0"):
                    continue
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
            found[int(pid)] = _argv(pid)
        except OSError:  # gone meanwhile
            continue
    return found


def _argv(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as cmd:
        return [arg.decode(errors="replace") for arg in cmd.read().split(b"\0")]


def _is_module(argv, short):
    """The Python process that runs module `short` (not the shell around it, nor the
    chmod that prepares its file)."""
    return len(argv) > 1 and Path(argv[0]).name.startswith("python") and \
        argv[1].endswith(f"/AnsiballZ_{short}.py")


def _module_pid(short, remote):
    """The pid of the process that runs module `short` from below `remote` (a run's own
    remote_tmp), or None."""
    prefix = f"{remote}/"
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = _argv(pid)
        except OSError:
            continue
        if _is_module(argv, short) and argv[1].startswith(prefix):
            return int(pid)
    return None


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _has_socket(pid):
    """Whether process `pid` has a socket open: the module has connected to libvirt."""
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:") for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False


def kill_run(token):
    """kill -9 every process group that holds a process of run `token`, until none is
    left -> {pid: argv} of the processes alive when the kill landed."""
    first = None
    deadline = time.monotonic() + 30
    while True:
        alive = _marked(token)
        if first is None:
            first = alive
        if not alive:
            return first
        if time.monotonic() > deadline:
            raise AssertionError(f"processes of a killed run survive: {alive}")
        for pgid in {_pgid(pid) for pid in alive} - {None}:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.02)


def _pgid(pid):
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


class Trial:
    """One task in its own ansible-playbook. The module's work starts when it connects
    to libvirt (its process has a socket open; before that it is Python importing and
    checking arguments) and ends with its process. `run()` lets the task finish and
    measures the work; `run(kill_after=s)` kills the whole run s seconds into the work
    (or after the module, if it is over by then)."""

    def __init__(self, module, args, env=None):
        self.short = module.rsplit(".", 1)[-1]
        self.module = module
        self.args = args
        self.env = env or {}

    def run(self, kill_after=None, timeout=300):
        """-> {work_seconds, killed, inside (the module's process was alive when the kill
        landed), rc}."""
        token = uuid.uuid4().hex
        with tempfile.TemporaryDirectory(prefix="virter-fault-") as tmp:
            book = Path(tmp) / "play.yml"
            book.write_text(yaml.safe_dump(_play([{"name": "task under fault", self.module: self.args}])))
            remote = Path(tmp) / "remote"
            env = {**os.environ, **self.env, MARK: token, "ANSIBLE_REMOTE_TMP": str(remote),
                   "ANSIBLE_LOCAL_TEMP": str(Path(tmp) / "local")}
            proc = subprocess.Popen(["ansible-playbook", str(book)], env=env, start_new_session=True,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                return self._watch(proc, token, remote, kill_after, time.monotonic() + timeout)
            finally:
                kill_run(token)
                proc.wait()

    def _watch(self, proc, token, remote, kill_after, deadline):
        pid = started = ended = None
        while proc.poll() is None:
            now = time.monotonic()
            if now > deadline:
                raise AssertionError(f"{self.module} {self.args} did not finish in time")
            if pid is None:
                pid = _module_pid(self.short, remote)
            elif started is None and _has_socket(pid):
                started = now
            elif started is not None and ended is None and not _alive(pid):
                ended = now
            if started is not None and kill_after is not None and now - started >= kill_after:
                alive = kill_run(token)
                inside = any(_is_module(argv, self.short) for argv in alive.values())
                return {"work_seconds": None, "killed": True, "inside": inside, "rc": proc.wait()}
            time.sleep(POLL)
        if started is not None and ended is None:
            ended = time.monotonic()
        return {"work_seconds": None if started is None else ended - started, "killed": False,
                "inside": False, "rc": proc.returncode}
