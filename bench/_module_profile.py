"""Where virter_vm's time goes: one module run in a fresh Python process (no AnsiballZ),
with timers around its phases. profile() runs this file as that process and returns its
rows; run as a script it is that process (argv: collections path, module args as JSON) and
prints the rows as JSON.

Rows are (label, seconds, calls). Timers are inclusive and summed over the module's
threads (host keys are made beside the id claims), so rows may overlap and need not add up
to the total. libvirt rows count only outermost calls (a libvirt method that calls another
is timed once), grouped by kind."""
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

MODULE = "ansible_collections.virter.core.plugins.modules.virter_vm"

# libvirt methods by kind, for the table; the rest is "other".
KINDS = (
    ("libvirt: DHCP host entry", ("virNetwork.update",)),
    ("libvirt: network lookups", ("virConnect.networkLookupByName", "virConnect.listAllNetworks", "virNetwork.")),
    ("libvirt: volumes, pools", ("virConnect.storage", "virConnect.listAllStoragePools", "virStoragePool.",
                                 "virStorageVol.")),
    ("libvirt: seed upload stream", ("virConnect.newStream", "virStream.")),
    ("libvirt: domain lookups, XML", ("virConnect.listAllDomains", "virConnect.lookupBy", "virDomain.XMLDesc",
                                      "virDomain.name", "virDomain.isActive", "virDomain.state", "virDomain.info")),
    ("libvirt: define", ("virConnect.defineXML",)),
    ("libvirt: start", ("virDomain.create",)),
    ("libvirt: connect, close", ("libvirt.open", "virConnect.close")),
)
CLASSES = ("virConnect", "virDomain", "virNetwork", "virStoragePool", "virStorageVol", "virStream")


def profile(python, collections, args):
    """Runs the module once with `args` under `python`; returns {"rows", "result"}."""
    proc = subprocess.run([str(python), __file__, str(collections), json.dumps(args)], capture_output=True,
                          text=True, timeout=900, check=False)
    if proc.returncode != 0:
        raise RuntimeError("module profile failed:\n%s%s" % (proc.stdout[-3000:], proc.stderr[-2000:]))
    return json.loads(proc.stdout)


class Timers:
    def __init__(self):
        self.rows = {}
        self.lock = threading.Lock()
        self.depth = threading.local()

    def add(self, label, seconds):
        with self.lock:
            row = self.rows.setdefault(label, [0.0, 0])
            row[0] += seconds
            row[1] += 1

    def timed(self, label, func, group=None):
        """func timed under `label`; within `group`, only the outermost call counts."""
        def wrapper(*args, **kwargs):
            depth = getattr(self.depth, group, 0) if group else 0
            if depth:
                return func(*args, **kwargs)
            if group:
                setattr(self.depth, group, 1)
            start = time.monotonic()
            try:
                return func(*args, **kwargs)
            finally:
                self.add(label(args) if callable(label) else label, time.monotonic() - start)
                if group:
                    setattr(self.depth, group, 0)
        return wrapper

    def wrap(self, owner, name, label, group=None):
        func = getattr(owner, name, None)
        if func is not None:
            setattr(owner, name, self.timed(label, func, group))


def kind(method):
    for label, prefixes in KINDS:
        if method.startswith(prefixes):
            return label
    return "libvirt: other"


def wrap_libvirt(timers, libvirt):
    timers.wrap(libvirt, "open", kind("libvirt.open"), group="libvirt")
    for cls_name in CLASSES:
        cls = getattr(libvirt, cls_name)
        for name, value in list(vars(cls).items()):
            if callable(value) and not name.startswith("_"):
                timers.wrap(cls, name, kind("%s.%s" % (cls_name, name)), group="libvirt")


def subprocess_label(args):
    argv = args[0] if args else "?"
    return "subprocess: %s" % Path(argv[0] if isinstance(argv, (list, tuple)) else str(argv).split()[0]).name


def main(collections, module_args):
    import io
    import importlib
    import resource

    begin = time.monotonic()
    timers = Timers()

    def timed_import(label, name):
        start = time.monotonic()
        module = importlib.import_module(name)
        timers.add(label, time.monotonic() - start)
        return module

    sys.path.insert(0, collections)
    basic = timed_import("import ansible.module_utils.basic", "ansible.module_utils.basic")
    libvirt = timed_import("import libvirt", "libvirt")
    timed_import("import lxml.etree", "lxml.etree")
    module = timed_import("import virter_vm (the collection's code, the rest)", MODULE)

    from ansible_collections.virter.core.plugins.module_utils import _keys
    from ansible_collections.virter.core.plugins.module_utils.vm import cloudinit

    timers.wrap(basic.AnsibleModule, "__init__", "argument parsing (AnsibleModule)")
    timers.wrap(_keys, "generate_host_keys", "host keys (_keys.generate_host_keys)")
    timers.wrap(cloudinit, "seed_iso", "seed ISO (cloudinit.seed_iso, pycdlib import included)")
    timers.wrap(subprocess, "run", subprocess_label, group="subprocess")
    wrap_libvirt(timers, libvirt)

    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": module_args}).encode()
    basic._ANSIBLE_PROFILE = "legacy"  # what ansible-core (2.19) sends modules like this one
    out, stdout = io.StringIO(), sys.stdout
    sys.stdout = out
    start = time.monotonic()
    try:
        module.main()
    except SystemExit:
        pass
    finally:
        sys.stdout = stdout
    timers.add("main() (after imports)", time.monotonic() - start)
    timers.add("total: imports + main()", time.monotonic() - begin)
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    timers.add("CPU: user + system, with child processes", sum(u.ru_utime + u.ru_stime for u in usage))
    rows = [(label, seconds, calls) for label, (seconds, calls) in timers.rows.items()]
    print(json.dumps({"rows": rows, "result": json.loads(out.getvalue())}))


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]))
