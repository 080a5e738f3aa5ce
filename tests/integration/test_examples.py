"""The EXAMPLES of every module, as `ansible-doc` shows them from the installed
collection, run as one play each: only names that point outside the sandbox (images on
the internet, registries, paths) are replaced, and checks are added between the tasks."""
import hashlib
import json
import subprocess

import pytest
import yaml

from helpers.ansible_run import run_playbook, run_task

VM = "virter.core.virter_vm"
IMAGE = "virter.core.virter_image"
# Under software emulation here (KVM does not work on these machines).
MODULE_DEFAULTS = {VM: {"virt_type": "qemu"}}


def examples(module, kind="module"):
    """The plugin's EXAMPLES text, from the installed collection."""
    out = subprocess.run(["ansible-doc", "-t", kind, "--json", "virter.core." + module], capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out)["virter.core." + module]["examples"]


def example_tasks(module, replace=None, before=None, after=None, kind="module"):
    """The EXAMPLES as tasks: `replace` {text: new text} (each must occur), `before` and
    `after` {task name: [tasks]} inserted around the named example task."""
    text = examples(module, kind)
    for old, new in (replace or {}).items():
        assert old in text, "%s is not in the EXAMPLES of %s" % (old, module)
        text = text.replace(old, new)
    tasks = []
    names = set()
    for task in yaml.safe_load(text):
        names.add(task["name"])
        tasks += (before or {}).get(task["name"], []) + [task] + (after or {}).get(task["name"], [])
    assert set(before or {}) | set(after or {}) <= names, "a task to insert around is gone from the EXAMPLES"
    return tasks


def run_examples(tmp_path, tasks, extra_vars=None):
    # No play-level connection: the hosts an example adds are reached over SSH.
    play = [{"name": "EXAMPLES", "hosts": "localhost", "gather_facts": False,
             "module_defaults": MODULE_DEFAULTS, "tasks": tasks}]
    book = tmp_path / "examples.yml"
    book.write_text(yaml.safe_dump(play, sort_keys=False))
    return run_playbook(book, extra_vars=extra_vars)


def definition_task(vm, register, **extra):
    """The persistent domain XML of `vm`, registered as `register`."""
    return dict({"name": "definition of %s" % vm, "register": register, "changed_when": False,
                 "ansible.builtin.command": "virsh -c qemu:///system dumpxml --inactive " + vm}, **extra)


def test_virter_vm(tmp_path, debian_image, auth_registry, libvirt_conn):
    ref = "%s/lab/alma:9" % auth_registry["address"]
    pushed = run_task(IMAGE, {"name": debian_image, "push": True, "push_ref": ref,
                              "registry_username": auth_registry["username"],
                              "registry_password": auth_registry["password"]})
    assert not pushed.get("failed"), pushed
    stop = "Stop db; the options it was made with need not be repeated"
    tasks = example_tasks("virter_vm", replace={
        "image: debian-12": "image: " + debian_image,
        "registry.example.com/lab/alma:9": ref,
        "registry_username: lab": "registry_username: " + auth_registry["username"],
        "/tmp/lab_known_hosts": str(tmp_path / "lab_known_hosts"),
    }, after={
        "Reach them with the pinned host keys": [{
            "name": "log in to each lab VM", "ansible.builtin.command": "hostname", "delegate_to": "{{ item.name }}",
            "register": "hostnames", "changed_when": False, "loop": "{{ lab.vms }}"}, {
            "name": "each is who it says", "ansible.builtin.assert": {
                "that": "hostnames.results | map(attribute='stdout') | list == lab.vms | map(attribute='name') | list"}}],
        stop: [definition_task("db", "db_after", failed_when="db_after.stdout != db_before.stdout")],
    }, before={stop: [definition_task("db", "db_before")]})
    try:
        run_examples(tmp_path, tasks, {"vault_registry_password": auth_registry["password"]})
        names = sorted(dom.name() for dom in libvirt_conn.listAllDomains(0))
        assert "db" in names and "builder" in names and not [n for n in names if n.startswith("lab-")], names
        assert not libvirt_conn.lookupByName("db").isActive() and libvirt_conn.lookupByName("builder").isActive()
        assert not [n for n in names if n in ("ctrl", "store") or n.startswith("node-")], names
    finally:
        for vm in ("db", "builder"):
            run_task(VM, {"name": vm, "state": "absent"})
        run_task(VM, {"name": "lab", "count": 0})
        run_task(VM, {"state": "absent", "vms": [{"name": "ctrl"}, {"name": "node", "count": 0}, {"name": "store"}]})
        run_task(IMAGE, {"name": "lab--alma-9", "state": "absent"})


def test_virter_network(tmp_path, libvirt_conn):
    try:
        run_examples(tmp_path, example_tasks("virter_network"))
        names = [net.name() for net in libvirt_conn.listAllNetworks(0)]
        assert "ci" in names and "lab" not in names, names
    finally:
        run_task("virter.core.virter_network", {"name": "ci", "state": "absent"})
        run_task("virter.core.virter_network", {"name": "lab", "state": "absent"})


@pytest.mark.parametrize("module", ["virter_vm_info", "virter_image_info", "virter_layer_info",
                                    "virter_network_info", "virter_layer"])
def test_as_written(module, tmp_path):
    """Examples that only read, or remove only what nothing uses (and nothing younger
    than the grace period): they run on the shared sandbox as they are."""
    run_examples(tmp_path, example_tasks(module))


@pytest.mark.parametrize("name, lab_vms, check", [
    ("lab_placement", [{"name": "web", "count": 2}, {"name": "db"}],
     "placed | map(attribute='hypervisor') | list == ['hv1', 'hv2']"),
    ("lab_calls", None,
     "shown.msg | map(attribute='hypervisor') | list == ['hv1', 'hv2']"
     " and shown.msg[0].vms == [{'name': 'web', 'count': 2}, {'name': 'db', 'memory': '2G'}]"
     " and shown.msg[1].task == {'uri': 'qemu+ssh://root@hv2/system'} and shown.msg[1].indexes == [2]"),
    ("provision_container", None,
     "shown.msg.name == 'virter-web-1' and shown.msg.env == {'A': 'b', 'TARGETS': 'web-1',"
     " 'VIRTER_ACCESS_NETWORK': '192.168.122.1/24'} and shown.msg.create[:2] == ['podman', 'create']"
     " and shown.msg.create[-4:] == ['alpine:3', 'sh', '-c', 'env']"),
])
def test_filters(name, lab_vms, check, tmp_path):
    """The filters' EXAMPLES give what their comments say."""
    tasks = example_tasks(name, kind="filter")
    tasks[-1]["register"] = "shown"
    tasks.append({"name": "what the example gives", "ansible.builtin.assert": {"that": check}})
    run_examples(tmp_path, tasks, extra_vars={"virter_lab_vms": lab_vms} if lab_vms else None)


PROVISION_FILE = """\
version = 1
[values]
Greeting = "hello"
[[steps]]
[steps.rsync]
source = "plugins/lookup/provision*.py"
dest = "/opt"
[[steps]]
[steps.shell]
script = "echo $G"
[steps.shell.env]
G = "{{.Greeting}}"
"""


@pytest.mark.parametrize("name, check", [
    ("provision", "shown.msg | map(attribute='kind') | list == ['rsync', 'shell']"
                  " and shown.msg[1].input == \"G=hi; export G\\necho $G\\n\""),
    ("provision_paths", "shown.msg | map('basename') | list == ['provision.py', 'provision_paths.py']"),
])
def test_lookups(name, check, tmp_path):
    """The lookups' EXAMPLES give what the check says, on a file whose rsync source lies in
    the working directory (the checkout, where the tests run)."""
    path = tmp_path / "provision.toml"
    path.write_text(PROVISION_FILE)
    tasks = example_tasks(name, kind="lookup", replace={"'provision.toml'": repr(str(path))})
    tasks[-1]["register"] = "shown"
    tasks.append({"name": "what the example gives", "ansible.builtin.assert": {"that": check}})
    run_examples(tmp_path, tasks)


def test_virter_image(tmp_path, guest_image_file, served_guest_image, registry, auth_registry):
    digest = "sha256:" + hashlib.sha256(guest_image_file.read_bytes()).hexdigest()
    pull_ref = "%s/examples/debian:12" % registry["address"]  # a repository no other test pushes to
    commit = "Commit a provisioned VM to a new image (the VM is shut down and removed)"
    pull = "Pull an image from a registry (stored as lab--debian-12)"
    tasks = example_tasks("virter_image", replace={
        "url: debian-12": "url: " + served_guest_image,
        "url: https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/AlmaLinux-9-GenericCloud-latest.x86_64.qcow2":
            "url: " + served_guest_image,
        "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef": digest,
        "/srv/images/my-base.qcow2": str(guest_image_file),
        "/srv/export/my-base-flat.qcow2": str(tmp_path / "my-base-flat.qcow2"),
        "name: provision:latest": "name: my-base",
        "registry.example.com/lab/debian:12": pull_ref,
        "localhost:5000": registry["address"],
        "registry.lab.example:5000": auth_registry["address"],
        "registry_username: builder": "registry_username: " + auth_registry["username"],
    }, before={
        commit: [{"name": "a VM to commit", VM: {"name": "web-build", "image": "my-base", "state": "stopped"}}],
        pull: [{"name": "an image in the registry", IMAGE: {"name": "debian-12", "push": True, "push_ref": pull_ref}}],
    })
    names = ("debian-12", "alma-9", "my-base", "web-base", "lab--debian-12")
    try:
        run_examples(tmp_path, tasks, {"vault_registry_password": auth_registry["password"]})
        found = run_task("virter.core.virter_image_info", {})
        assert sorted(set(names) & set(i["name"] for i in found["images"])) == \
            ["debian-12", "lab--debian-12", "my-base", "web-base"], found
        assert (tmp_path / "my-base-flat.qcow2").is_file()
    finally:
        run_task(VM, {"name": "web-build", "state": "absent"})
        for name in names:
            run_task(IMAGE, {"name": name, "state": "absent"})
