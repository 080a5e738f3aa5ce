"""Run the installed collection through real ansible-playbook processes."""
import json
import os
import subprocess
import tempfile
from pathlib import Path

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


def run_task(module, args, check=False, diff=False, env=None, timeout=1800):
    """Run one task of `module` in a real playbook and return its registered result.

    Failures do not raise: the result (with `failed: true`) is returned for assertions.
    """
    with tempfile.TemporaryDirectory(prefix="virter-task-") as tmp:
        out = Path(tmp) / "result.json"
        play = [{
            "name": f"run {module}",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "task under test",
                    module: args,
                    "register": "result",
                    "check_mode": check,
                    "diff": diff,
                    "ignore_errors": True,
                },
                {
                    "name": "dump the result",
                    "ansible.builtin.copy": {
                        "content": "{{ result | to_json }}",
                        "dest": str(out),
                        "mode": "0600",
                    },
                    "check_mode": False,
                    "diff": False,
                },
            ],
        }]
        book = Path(tmp) / "play.yml"
        book.write_text(yaml.safe_dump(play))
        run_playbook(book, env=env, timeout=timeout)
        return json.loads(out.read_text())


def four_step(module, args, env=None):
    """The idempotence check: check mode, real, check mode, real -> their results."""
    return [run_task(module, args, check=check, diff=True, env=env) for check in (True, False, True, False)]


def changed_flags(results):
    return [r.get("changed") for r in results]
