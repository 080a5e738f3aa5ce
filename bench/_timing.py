"""What the benchmarks share: a small Ansible callback plugin that times tasks (ansible-core
has no profile_tasks), and the span of the tasks it timed.

Each task is {"name", "start", "end", "items"}: wall-clock seconds (time.time(), the same
clock in every network namespace) at the task's start and at its (last) result; "items" has
one {"label", "end", "hypervisor", "vms", "attempts"} per loop item, in order ("hypervisor" is
the item's own key of that name, "vms" what the module returned, when it did, "attempts" how
many times an `until` item ran, else None). An `until` item is there once, with its final
result: its retries go to v2_runner_retry, which this plugin leaves alone."""
from pathlib import Path

CALLBACK = '''
import json, os, time
from ansible.plugins.callback import CallbackBase

class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "vbench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tasks = []

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.tasks.append({"name": task.get_name(), "start": time.time(), "end": None, "items": []})

    def _done(self, result, **kwargs):
        self.tasks[-1]["end"] = time.time()

    v2_runner_on_ok = v2_runner_on_failed = v2_runner_on_skipped = _done
    v2_runner_on_unreachable = _done

    def _item(self, result, **kwargs):
        res = result._result
        item = res.get("item")
        self.tasks[-1]["items"].append({
            "label": str(res.get("_ansible_item_label", item)), "end": time.time(),
            "hypervisor": item.get("hypervisor") if isinstance(item, dict) else None,
            "vms": json.loads(json.dumps(res.get("vms") or [], default=str)),
            "attempts": res.get("attempts")})

    v2_runner_item_on_ok = v2_runner_item_on_failed = v2_runner_item_on_skipped = _item

    def v2_playbook_on_stats(self, stats):
        with open(os.environ["VBENCH_TIMES"], "w") as handle:
            json.dump(self.tasks, handle)
'''


def callback_env(work, times):
    """Writes the plugin under `work` and returns the environment that enables it and makes
    it write its tasks to the file `times`."""
    plugins = Path(work) / "callbacks"
    plugins.mkdir(exist_ok=True)
    (plugins / "vbench_timer.py").write_text(CALLBACK)
    return {"ANSIBLE_CALLBACK_PLUGINS": str(plugins), "ANSIBLE_CALLBACKS_ENABLED": "vbench_timer",
            "VBENCH_TIMES": str(times)}


def task_span(times):
    """Seconds from the first task's start to the last task's result."""
    return max(t["end"] for t in times) - min(t["start"] for t in times)
