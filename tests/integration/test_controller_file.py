"""controller_file, as the lab role writes the lab's files with it: its EXAMPLES, four-step
idempotence with a diff, a mode change, and bad input."""
import stat

from helpers.ansible_run import four_step, run_task
from test_examples import example_tasks, run_examples

MODULE = "virter.core.controller_file"


def test_examples(tmp_path):
    target = tmp_path / "lab" / "known_hosts"
    run_examples(tmp_path, example_tasks("controller_file", replace={"/tmp/lab/known_hosts": str(target)}))
    assert target.read_text().startswith("192.168.122.2,web ssh-ed25519 ")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700


def test_four_step_diff_and_mode(tmp_path):
    path = tmp_path / "new" / "config"
    results = four_step(MODULE, {"path": str(path), "content": "Host web\n", "mode": "0644"})
    assert path.read_text() == "Host web\n"
    assert results[0]["diff"] == {"before_header": str(path), "after_header": str(path),
                                  "before": "", "after": "Host web\n"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    tighter = run_task(MODULE, {"path": str(path), "content": "Host web\n"})
    assert tighter["changed"] and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["config"]  # no temporary file left


def test_bad_input_fails_and_writes_nothing(tmp_path):
    path = tmp_path / "config"
    bad_mode = run_task(MODULE, {"path": str(path), "content": "x", "mode": "rw"})
    assert bad_mode["failed"] and "mode must be octal" in bad_mode["msg"], bad_mode
    unknown = run_task(MODULE, {"path": str(path), "content": "x", "owner": "root"})
    assert unknown["failed"] and "owner" in unknown["msg"], unknown
    assert not path.exists()
