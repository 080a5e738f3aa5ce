"""Benchmark of a lab over the simulated fleet of tools/fleet, not a test: the lab role
(virter.core.lab) driven from the controller namespace, 2N VMs placed over the two hosts hv1
and hv2 (N each, entries with an explicit `hypervisor`) vs the same 2N VMs all on hv1, side
by side in one run. Both layouts run the same play (virter_lab_hypervisors =
virter_hypervisors, `memory: 512M`, `virt_type: qemu` by module_defaults) on the same image,
imported on both hosts before anything is timed; only the placement differs.

Measured, for each layout (best of ROUNDS by the role's time; the layouts alternate order):

- "up": the lab up to "ready" as the role returns it, every VM logged into from the
  controller through its hypervisor: "wall" is the whole `ansible-playbook` command, "role"
  the role's first task's start to the result of its last (the wait_for_connection through
  the hypervisor), taken by the callback plugin of bench/_timing.py;
- where the role's time goes: "create" = the start pass, which starts every VM without
  waiting (virter_vm, wait_for none), "boot+ready" = the wait pass (virter_vm, wait_for
  ready), each from its include of tasks/calls.yml to the last result of what that ran;
  "jump" = wait_for_connection from the controller through the hypervisor, "other" = the
  rest of the role (placement, check mode, key pair, known_hosts, add_host);
- per host, in seconds from the role's start: the start and end of its call in the start
  pass ("create"), "running" = the last of its VMs' QEMU start (the "starting up" line of
  libvirt's log on that host), "ready" = the end of its call in the wait pass, "reached" =
  its last VM answering from the controller; and whether the two hosts' create intervals
  overlap. Each pass makes one virter_vm call per hypervisor (a loop over the calls, labelled
  "<VMs> on <hypervisor>"). A call starts where its item of the pass's converge task starts
  (when the previous item ends, or the task starts: one loop on the controller). A pass of
  one call runs it synchronously: the call ends with its item. A pass of several runs each
  call as an async job (`async`, `poll: 0`) that the item only launches: the call ends with
  the job's item of the pass's async_status task, whose final result (`until` finished,
  polled every second: up to ~1 s late) is the one the callback records. The jobs are
  polled one after another: a later job's recorded end is no earlier than the earlier jobs'
  (1 poll: it was done by then). The VMs and their addresses are the wait pass's call
  results (the converge item, or the job's);
- once, on the first VM of hv1 in the 2-host layout: one SSH command (`true`), median of 5
  runs: `ansible VM -m raw -a true` from the controller with the host variables the role
  gave the VM (jump through hv1, both host keys pinned), with Ansible's ControlPersist (the
  connection the role opened is reused) and without it (ANSIBLE_SSH_ARGS empty: a new SSH
  connection through the jump each run), plain `ssh` from the controller with the same options,
  and `ssh` with the VM's key from inside hv1 against the lab's known_hosts file; each
  through `tools/fleet exec`, whose own cost is printed.

The fleet's hosts are namespaces of this one machine: they share its CPUs (2 here), so
spreading VMs over them adds no CPU. Every VM is removed (virter_lab_state=absent) and the
image too, also on failure; a fleet that was up is left up, else it is taken down.

One VM-booting run at a time on this machine, from the repository, with the collection
installed in build/collections (`make collection`):

    flock -o /tmp/virter-vmtest.lock .venv/bin/python bench/fleet_lab.py [--per-host 1] [--rounds 1]

(`-o`: else the fleet's daemons that the bench starts inherit the lock and hold it until the
fleet goes down.)
"""
import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from _timing import callback_env, task_span

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv" / "bin"
FLEET = str(ROOT / "tools" / "fleet")
INVENTORY = Path("/run/virter-fleet/inventory.yml")
HOSTS = ("hv1", "hv2")
IMAGE = "fbench-img"
PREFIX = "fbench-"
TIMEOUT = 1800
SSH_RUNS = 5
CREATE = "Start every VM of the lab, without waiting"
WAIT = "Wait until every VM of the lab is ready"
COLLECT = "Collect the lab's VMs"
CONVERGE = "Converge each hypervisor's VMs in one call"
JOBS = "Wait for the calls on the hypervisors"
JUMP = "Reach every VM on another hypervisor from the controller, through its hypervisor"
EXPORT = "bench: the VMs' inventory variables"
# The host variables the role gives each VM that an SSH command needs.
VM_VARS = ["ansible_connection", "ansible_host", "ansible_user", "ansible_ssh_private_key_file",
           "ansible_ssh_common_args", "ansible_host_key_checking", "virter_hypervisor"]
LAYOUTS = ("2 hosts", "1 host")


def fleet(host, argv, timeout=TIMEOUT, env=None):
    """argv inside the fleet's `host` (controller, hv1, hv2); fails unless it succeeds."""
    proc = subprocess.run([FLEET, "exec", host, *argv], capture_output=True, text=True, timeout=timeout,
                          env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError("%s on %s failed (%d):\n%s%s" % (argv[0], host, proc.returncode, proc.stdout[-3000:],
                                                            proc.stderr[-2000:]))
    return proc.stdout


class FleetLab:
    def __init__(self, args):
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="fbench-"))
        self.known_hosts = self.work / "lab_known_hosts"
        python = self.work / "python.yml"
        python.write_text(json.dumps({"virter_hypervisors": {"hosts": {
            host: {"ansible_python_interpreter": str(VENV / "python")} for host in HOSTS}}}))
        self.inventories = ["-i", str(INVENTORY), "-i", str(python)]
        self.env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / "build" / "collections"),
                        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_NOCOLOR="1")
        self.names = ["%s%d" % (PREFIX, i) for i in range(1, 2 * args.per_host + 1)]
        self.ssh = None
        # The controller's key pair as the role makes it, so that no layout pays for it.
        subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "4096", "-m", "PEM", "-N", "", "-C", "virter.core",
                        "-f", str(self.work / "id_rsa")], check=True)

    def vms(self, layout):
        """The lab's entries: the first N on hv1, the next N on hv2 (or all on hv1)."""
        return [{"name": name, "image": IMAGE, "memory": "512M",
                 "hypervisor": HOSTS[index // self.args.per_host] if layout == "2 hosts" else "hv1"}
                for index, name in enumerate(self.names)]

    # -- running Ansible from the controller -------------------------------------------

    def ansible(self, argv, env=None):
        return fleet("controller", [str(VENV / argv[0]), *self.inventories, *argv[1:]], env=env or self.env)

    def playbook(self, vms, state):
        """The lab play; returns (wall, timed tasks)."""
        export = self.work / "vms.json"
        play = [{
            "name": "A lab over the fleet", "hosts": "localhost", "gather_facts": False,
            "module_defaults": {"virter.core.virter_vm": {"virt_type": "qemu"}},
            "roles": [{"role": "virter.core.lab", "vars": {
                "virter_lab_hypervisors": "virter_hypervisors", "virter_lab_vms": vms,
                "virter_lab_known_hosts_file": str(self.known_hosts),
                "virter_lab_ssh_key_file": str(self.work / "id_rsa")}}],
            "tasks": [{"name": EXPORT, "when": "virter_lab_state == 'present'", "vars": {"bench_keys": VM_VARS},
                       "ansible.builtin.copy": {"dest": str(export), "mode": "0600", "content": (
                           "{ {% for h in groups.virter_lab %}{{ h | to_json }}: "
                           "{{ dict(bench_keys | zip(bench_keys | map('extract', hostvars[h]))) | to_json }}"
                           "{{ ',' if not loop.last else '' }}{% endfor %} }")}}],
        }]
        book = self.work / "lab.yml"
        book.write_text(json.dumps(play, indent=1))
        times = self.work / "times.json"
        times.unlink(missing_ok=True)
        start = time.monotonic()
        self.ansible(["ansible-playbook", str(book), "-e", "virter_lab_state=" + state],
                     env=dict(self.env, **callback_env(self.work, times)))
        wall = time.monotonic() - start
        return wall, json.loads(times.read_text())

    def image(self, argv):
        self.ansible(["ansible", "virter_hypervisors", "-m", "virter.core.virter_image", "-a", argv])

    # -- one layout --------------------------------------------------------------------

    def up(self, layout):
        vms = self.vms(layout)
        wall, tasks = self.playbook(vms, "present")
        try:
            res = self.timeline(layout, vms, wall, tasks)
            if layout == "2 hosts" and self.args.ssh and self.ssh is None:
                self.ssh = self.ssh_times(res["ready_vms"])
        finally:
            start = time.monotonic()
            self.playbook(vms, "absent")
        res["absent"] = time.monotonic() - start
        return res

    def timeline(self, layout, vms, wall, tasks):
        def task(name):
            found = [t for t in tasks if t["name"].endswith(name)]
            if not found:
                raise RuntimeError("no task %r in the run: %s" % (name, [t["name"] for t in tasks]))
            return found[0]

        create, wait, collect, jump = task(CREATE), task(WAIT), task(COLLECT), task(JUMP)
        # Each pass: its include of tasks/calls.yml, then the tasks that ran.
        start_pass = [t for t in tasks if create["start"] <= t["start"] < wait["start"]]
        wait_pass = [t for t in tasks if wait["start"] <= t["start"] < collect["start"]]
        calls = {"start": self.pass_calls(layout, start_pass), "wait": self.pass_calls(layout, wait_pass)}
        role = [t for t in tasks if not t["name"].endswith(EXPORT)]
        origin = role[0]["start"]
        expected = {vm["name"]: vm["hypervisor"] for vm in vms}
        for name, made in calls.items():
            placed = {vm: call["hypervisor"] for call in made for vm in call["names"]}
            if placed != expected:
                raise RuntimeError("%s: the %s pass placed %s, expected %s" % (layout, name, placed, expected))
        ready_vms = {vm["name"]: dict(vm, hypervisor=call["hypervisor"]) for call in calls["wait"]
                     for vm in call["vms"]}
        if sorted(ready_vms) != sorted(expected) or not all(vm.get("ip") for vm in ready_vms.values()):
            raise RuntimeError("%s: not every VM is up with an address: %s" % (layout, ready_vms))
        reached = {item["label"]: item["end"] for item in jump["items"]}
        hosts = {}
        for host in sorted(set(expected.values())):
            mine = [name for name, on in expected.items() if on == host]
            created = [c for c in calls["start"] if c["hypervisor"] == host]
            hosts[host] = {key: value - origin for key, value in {
                "create start": min(c["start"] for c in created), "create end": max(c["end"] for c in created),
                "running": max(qemu_started(host, mine).values()),
                "ready": max(c["end"] for c in calls["wait"] if c["hypervisor"] == host),
                "reached": max(reached[name] for name in mine)}.items()}
            hosts[host]["vms"] = len(mine)
        role_time = jump["end"] - origin
        parts = {"create": task_span(start_pass), "boot+ready": task_span(wait_pass), "jump": span(jump)}
        parts["other"] = role_time - sum(parts.values())
        return {"wall": wall, "role": role_time, "parts": parts, "hosts": hosts, "ready_vms": ready_vms,
                "calls": calls}

    @staticmethod
    def pass_calls(layout, tasks):
        """The calls of one pass, from its tasks: [{"hypervisor", "names", "start", "end",
        "async", "polls", "vms"}], each from its item of the converge task to that item's end
        (one call, synchronous) or to its job's async_status item (several calls, async)."""
        converge = [t for t in tasks if t["name"].endswith(CONVERGE)]
        jobs = [t for t in tasks if t["name"].endswith(JOBS)]
        if len(converge) != 1 or len(jobs) != 1:
            raise RuntimeError("%s: a pass of %s, expected one %r and one %r" % (
                layout, [t["name"] for t in tasks], CONVERGE, JOBS))
        converge, jobs = converge[0], jobs[0]
        calls = {}
        for prev, item in zip([converge["start"]] + [i["end"] for i in converge["items"]], converge["items"]):
            names, host = item["label"].rsplit(" on ", 1)
            calls[item["label"]] = {"hypervisor": host, "names": names.split(", "), "start": prev,
                                    "end": item["end"], "async": False, "polls": 0, "vms": item["vms"]}
        # An async_status item's own "hypervisor" is None (its item is the job): by label.
        for item in jobs["items"]:
            if item["label"] not in calls:
                raise RuntimeError("%s: job of %s, not a call of its pass %s" % (layout, item["label"], list(calls)))
            call = calls[item["label"]]
            call.update(end=item["end"], polls=item["attempts"] or 1, vms=item["vms"])
            call["async"] = True
        if any(call["async"] != (len(calls) > 1) for call in calls.values()):
            raise RuntimeError("%s: expected %s, got %s" % (
                layout, "async calls" if len(calls) > 1 else "one synchronous call", list(calls.values())))
        return list(calls.values())

    # -- one SSH command -------------------------------------------------------------

    def ssh_times(self, ready_vms):
        name = sorted(n for n, vm in ready_vms.items() if vm["hypervisor"] == "hv1")[0]
        vm = ready_vms[name]
        hostvars = json.loads((self.work / "vms.json").read_text())[name]
        inventory = self.work / "vms_inventory.json"
        inventory.write_text(json.dumps({"all": {"hosts": {name: hostvars}}}))
        jump_ssh = (["ssh", "-i", hostvars["ansible_ssh_private_key_file"], "-o", "BatchMode=yes"]
                    + shlex.split(hostvars["ansible_ssh_common_args"])
                    + ["%s@%s" % (hostvars["ansible_user"], hostvars["ansible_host"]), "true"])
        direct_ssh = ["ssh", "-i", vm["ssh_private_key_file"], "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                      "-o", "UserKnownHostsFile=%s" % self.known_hosts, "-o", "GlobalKnownHostsFile=/dev/null",
                      "%s@%s" % (vm["user"], vm["ip"]), "true"]
        raw = [str(VENV / "ansible"), "-i", str(inventory), name, "-m", "raw", "-a", "true"]
        cases = [
            ("ansible -m raw, controller -> hv1 -> VM", "controller", raw, self.env),
            ("  the same without ControlPersist", "controller", raw, dict(self.env, ANSIBLE_SSH_ARGS="")),
            ("ssh, controller -> hv1 -> VM (role's options)", "controller", jump_ssh, self.env),
            ("ssh inside hv1 -> VM (VM's key)", "hv1", direct_ssh, self.env),
            ("tools/fleet exec controller true", "controller", ["true"], self.env),
            ("tools/fleet exec hv1 true", "hv1", ["true"], self.env),
        ]
        out = {"vm": name, "cases": []}
        for label, host, argv, env in cases:
            runs = []
            for _run in range(SSH_RUNS):
                start = time.monotonic()
                fleet(host, argv, timeout=120, env=env)
                runs.append(time.monotonic() - start)
            out["cases"].append((label, runs[0], statistics.median(runs)))
        return out

    # -- clean-up ----------------------------------------------------------------------

    def leftovers(self):
        found = {}
        for host in HOSTS:
            names = fleet(host, ["virsh", "-q", "-c", "qemu:///system", "list", "--all", "--name"]).split()
            found[host] = [n for n in names if n.startswith(PREFIX)]
        return {host: names for host, names in found.items() if names}

    def finish(self):
        """Every VM of the bench and the image off both hosts, whatever failed before."""
        errors = []
        for step in (lambda: self.playbook(self.vms("2 hosts"), "absent"),
                     lambda: self.image("name=%s state=absent" % IMAGE)):
            try:
                step()
            except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
                errors.append(str(exc)[-1500:])
        left = self.leftovers()
        if left:
            errors.append("domains left behind: %s" % left)
        shutil.rmtree(self.work, ignore_errors=True)
        return errors


def span(task):
    return task_span([task])


def describe_calls(calls):
    """'2 calls, async: [a on hv1] 3 polls, [b on hv2] 1 poll' or '1 call, sync: [a, b on hv1]'."""
    def one(call):
        polls = " %d poll%s" % (call["polls"], "" if call["polls"] == 1 else "s") if call["async"] else ""
        return "[%s on %s]%s" % (", ".join(call["names"]), call["hypervisor"], polls)
    return "%d call%s, %s: %s" % (len(calls), "" if len(calls) == 1 else "s",
                                  "async" if calls[0]["async"] else "sync", ", ".join(one(c) for c in calls))


def qemu_started(host, names):
    """Wall-clock time of each VM's last QEMU start, from libvirt's log on `host`."""
    script = "for n in %s; do printf '%%s ' $n; grep 'starting up' /var/log/libvirt/qemu/$n.log | tail -n 1; done" % (
        " ".join(shlex.quote(n) for n in names))
    started = {}
    for line in fleet(host, ["sh", "-c", script]).splitlines():
        name, rest = line.split(" ", 1)
        if ": starting up" not in rest:
            raise RuntimeError("%s: no QEMU start in libvirt's log of %s" % (host, name))
        stamp = rest.split(": starting up")[0].strip()
        started[name] = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f%z").timestamp()
    return started


def fleet_state():
    """'up' (2 hosts running), 'none' (no fleet), else the status text."""
    proc = subprocess.run([FLEET, "status"], capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode == 0 and "hosts: hv1 hv2\n" in proc.stdout:
        return "up"
    return "none" if proc.returncode == 3 else proc.stdout + proc.stderr


# -- report -------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-host", type=int, default=1, help="VMs per host in the 2-host layout (default 1)")
    parser.add_argument("--rounds", type=int, default=1, help="best of ROUNDS (default 1)")
    parser.add_argument("--no-ssh", dest="ssh", action="store_false", help="skip the SSH command timings")
    parser.add_argument("--image", help="guest qcow2 (default: output of tools/build-guest-image)")
    args = parser.parse_args()
    image = args.image or subprocess.run([str(ROOT / "tools" / "build-guest-image")], check=True,
                                         capture_output=True, text=True).stdout.strip()
    state = fleet_state()
    brought_up = state == "none"
    if brought_up:
        subprocess.run([FLEET, "up", "2"], check=True, timeout=600)
    elif state != "up":
        sys.exit("the fleet is not a running fleet of 2 hosts; not touching it:\n" + state)
    started = time.monotonic()
    bench = FleetLab(args)
    results = {layout: [] for layout in LAYOUTS}
    errors = []
    try:
        bench.image("name=%s path=%s" % (IMAGE, image))
        for index in range(args.rounds):
            for layout in (LAYOUTS if index % 2 == 0 else LAYOUTS[::-1]):
                results[layout].append(bench.up(layout))
                sys.stderr.write("  done %s round %d (%.0f s)\n" % (layout, index + 1, time.monotonic() - started))
    finally:
        errors = bench.finish()
        if brought_up:
            subprocess.run([FLEET, "down"], check=False, timeout=600)
    report(args, {layout: min(runs, key=lambda r: r["role"]) for layout, runs in results.items()},
           bench.ssh, started)
    for error in errors:
        print("clean-up: " + error)
    if errors:
        sys.exit(1)


def report(args, best, ssh, started):
    load = os.getloadavg()
    n = args.per_host
    print("Lab over the simulated fleet, up to 'ready' (every VM logged into from the controller through its"
          " hypervisor): %d VMs of 512M, TCG; best of %d; %d CPUs shared by both hosts (namespaces of one"
          " machine), load %.1f/%.1f/%.1f at the end" % (2 * n, args.rounds, os.cpu_count(), *load))
    print("wall = ansible-playbook; role = role's first task to its last result; create = start pass (no wait,"
          " one call per hypervisor),"
          " boot+ready = wait pass, jump = wait_for_connection through the hypervisor, other = rest of the role")
    header = "%-16s %3s %8s %8s %8s %11s %8s %8s %9s" % (
        "layout", "VMs", "wall s", "role s", "create", "boot+ready", "jump", "other", "absent s")
    print(header)
    print("-" * len(header))
    names = {"2 hosts": "2 hosts (%d+%d)" % (n, n), "1 host": "1 host (hv1)"}
    for layout in LAYOUTS:
        res = best[layout]
        parts = res["parts"]
        print("%-16s %3d %8.1f %8.1f %8.1f %11.1f %8.1f %8.1f %9.1f" % (
            names[layout], 2 * n, res["wall"], res["role"], parts["create"], parts["boot+ready"], parts["jump"],
            parts["other"], res["absent"]))
    two, one = best["2 hosts"], best["1 host"]
    ratio = two["role"] / one["role"]
    print("ratio 2 hosts / 1 host: role %.2f [target <= 1.15: %s], wall %.2f; create %.2f, boot+ready %.2f, jump %.2f"
          % (ratio, "met" if ratio <= 1.15 else "MISSED", two["wall"] / one["wall"],
             *(two["parts"][k] / one["parts"][k] for k in ("create", "boot+ready", "jump"))))
    print()
    print("per host, seconds from the role's first task (create = its call in the start pass: launch to the"
          " item's end, or to its async job's finished async_status item; running = its last"
          " QEMU start, libvirt's log; ready = the end of its call in the wait pass, the same way;"
          " reached = its last VM from the controller)")
    header = "%-16s %-4s %3s %12s %10s %8s %8s %8s" % (
        "layout", "host", "VMs", "create start", "create end", "running", "ready", "reached")
    print(header)
    print("-" * len(header))
    for layout in LAYOUTS:
        for host, row in best[layout]["hosts"].items():
            print("%-16s %-4s %3d %12.1f %10.1f %8.1f %8.1f %8.1f" % (
                names[layout], host, row["vms"], row["create start"], row["create end"], row["running"],
                row["ready"], row["reached"]))
    for layout in LAYOUTS:
        made = best[layout]["calls"]
        print("calls of %s: start pass %s; wait pass %s" % (
            names[layout], describe_calls(made["start"]), describe_calls(made["wait"])))
    hv1, hv2 = two["hosts"]["hv1"], two["hosts"]["hv2"]
    overlap = min(hv1["create end"], hv2["create end"]) - max(hv1["create start"], hv2["create start"])
    print("create intervals of hv1 and hv2 (2 hosts) overlap: %s (%.1f s in common; hv1 %.1f-%.1f, hv2 %.1f-%.1f)" % (
        "yes" if overlap > 0 else "NO", max(overlap, 0.0), hv1["create start"], hv1["create end"],
        hv2["create start"], hv2["create end"]))
    if ssh:
        print()
        print("one SSH command (`true`) to %s on hv1, %d runs each, through tools/fleet exec:" % (ssh["vm"], SSH_RUNS))
        direct = [c[2] for c in ssh["cases"] if c[0].startswith("ssh inside")][0]
        for label, first, median in ssh["cases"]:
            ratio = "" if label.startswith("tools/") else "  %5.2fx ssh inside hv1" % (median / direct)
            print("  %-46s median %6.3f s  first %6.3f s%s" % (label, median, first, ratio))
    print("total bench time %.0f s" % (time.monotonic() - started))


if __name__ == "__main__":
    main()
