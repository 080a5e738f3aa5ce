"""Run the installed collection through real ansible-playbook processes."""
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import NamedTuple

import yaml


class PlaybookFailed(AssertionError):
    pass


def run_playbook(path, extra_vars=None, check=False, diff=False, env=None, timeout=1800):
    """Run one playbook; raise PlaybookFailed with its output unless it exits 0."""
    cmd = ["ansible-playbook", str(path)]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}, check=False
    )
    if proc.returncode != 0:
        raise PlaybookFailed(f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


class Task(NamedTuple):
    """One task of a playbook run_tasks writes: `module` with `args`, in check mode or not."""
    module: str
    args: dict
    check: bool = False


def run_tasks(steps, diff=False, env=None, timeout=1800):
    """Run `steps` ((module, args) or (module, args, check)) as the tasks of one playbook,
    one ansible-playbook start for all, and return their registered results in order.

    Failures neither raise nor stop the play: each result (with `failed: true`) is
    returned for assertions.
    """
    with tempfile.TemporaryDirectory(prefix="virter-tasks-") as tmp:
        out = Path(tmp) / "results.json"
        tasks = [{"name": f"step {index}", task.module: task.args, "register": f"step{index}",
                  "check_mode": task.check, "diff": diff, "ignore_errors": True}
                 for index, task in enumerate(Task(*step) for step in steps)]
        names = ", ".join(f"step{index}" for index in range(len(tasks)))
        tasks.append({"name": "dump the results", "ansible.builtin.copy": {
            "content": "{{ [%s] | to_json }}" % names, "dest": str(out), "mode": "0600"},
            "check_mode": False, "diff": False})
        book = Path(tmp) / "play.yml"
        book.write_text(yaml.safe_dump([{"name": "tasks under test", "hosts": "localhost", "connection": "local",
                                         "gather_facts": False, "tasks": tasks}]))
        run_playbook(book, env=env, timeout=timeout)
        return json.loads(out.read_text())


def run_task(module, args, check=False, diff=False, env=None, timeout=1800):
    """Run one task of `module` in a real playbook and return its registered result."""
    return run_tasks([(module, args, check)], diff=diff, env=env, timeout=timeout)[0]


def four_step(module, args, env=None):
    """The idempotence check in one playbook: check mode, real, check mode, real (with
    --diff); the first two change, the last two do not. Returns the four results."""
    results = run_tasks([(module, args, check) for check in (True, False, True, False)], diff=True, env=env)
    assert changed_flags(results) == [True, True, False, False], results
    return results


def changed_flags(results):
    return [r.get("changed") for r in results]
