"""virter provisioning files through the provision role, on a lab of two booted VMs reached
with the inventory plugin, as `ansible-playbook -i lab.virter.yml virter.core.provision`
runs them: values, global and step env, two shell steps, an rsync of a directory and a
container step (podman, an image imported from an mmdebstrap rootfs) that reaches the VMs
over SSH; a failing step that stops every host; a bad file that fails before any step;
`ssh -F` into the VMs by name with the lab role's ssh config; image_build with a file."""
import os
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml

from helpers.ansible_run import run_playbook, run_task

HERE = Path(__file__).resolve().parent
GROUP = "vtest-prov"
IMAGE = "localhost/vtest-provision:latest"


@pytest.fixture(scope="module")
def container_image():
    """A container image with openssh-client, made offline from an mmdebstrap rootfs."""
    os.environ.setdefault("CONTAINERS_CONF", str(HERE / "containers.conf"))
    if subprocess.run(["podman", "image", "exists", IMAGE], check=False).returncode != 0:
        subprocess.run(f"mmdebstrap --quiet --variant=minbase --include=openssh-client bookworm - "
                       f"| podman import --quiet - {IMAGE}", shell=True, check=True, timeout=900)
    return IMAGE


@pytest.fixture(scope="module")
def lab(debian_image, tmp_path_factory):
    """Two VMs of the lab role (one `count` entry), its ssh config and an inventory source."""
    root = tmp_path_factory.mktemp("provision-lab")
    lab_vars = {"virter_lab_vms": [{"name": GROUP, "count": 2, "image": debian_image, "memory": "512M"}],
                "virter_lab_virt_type": "qemu",
                "virter_lab_known_hosts_file": str(root / "known_hosts"),
                "virter_lab_ssh_config_file": str(root / "ssh_config")}
    up = root / "up.yml"
    up.write_text(yaml.safe_dump([{"name": "Lab up", "ansible.builtin.import_playbook": "virter.core.lab_up"}]))
    down = root / "down.yml"
    down.write_text(yaml.safe_dump([{"name": "Lab down", "ansible.builtin.import_playbook": "virter.core.lab_down"}]))
    source = root / "lab.virter.yml"
    source.write_text(yaml.safe_dump({"plugin": "virter.core.virter", "filters": {"group": GROUP},
                                      "known_hosts_file": str(root / "inventory_known_hosts")}))
    try:
        run_playbook(up, lab_vars)
        names = sorted(line.split()[1] for line in (root / "ssh_config").read_text().splitlines()
                       if line.startswith("Host "))
        assert len(names) == 2, names
        yield {"root": root, "source": source, "ssh_config": root / "ssh_config", "names": names}
    finally:
        run_playbook(down, lab_vars)


def ssh(lab, name, command):
    """`ssh -F` to a VM by name, with strict host key checking (the config's and ours)."""
    proc = subprocess.run(["ssh", "-F", str(lab["ssh_config"]), "-o", "StrictHostKeyChecking=yes",
                           "-o", "BatchMode=yes", name, command],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def provision(lab, workdir, text, extra=None, limit=None, check=False):
    (workdir / "p.toml").write_text(textwrap.dedent(text))
    cmd = ["ansible-playbook", "-i", str(lab["source"]), "virter.core.provision",
           "-e", "virter_provision_file=p.toml"] + (["--check"] if check else [])
    if extra:
        cmd += ["-e", yaml.safe_dump(extra, default_flow_style=True)]
    if limit:
        cmd += ["-l", limit]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=1800, check=False)
    return proc


def test_a_provisioning_file_runs_on_every_vm(lab, container_image, tmp_path):
    work = tmp_path / "work"
    (work / "data" / "sub").mkdir(parents=True)
    (work / "data" / "a.txt").write_text("a\n")
    (work / "data" / "sub" / "b.sh").write_text("#!/bin/sh\n")
    (work / "data" / "sub" / "b.sh").chmod(0o750)
    (work / "out").mkdir()
    container_script = (
        "set -e; mkdir -p /out; "
        "for t in $(echo $TARGETS | tr , ' '); do "
        "ssh -F /etc/ssh/ssh_config.virter -o StrictHostKeyChecking=yes -o BatchMode=yes $t "
        "'echo from-container > /root/prov/container'; echo $t >> /out/targets; done; "
        "echo $VIRTER_ACCESS_NETWORK $FROM > /out/env")
    proc = provision(lab, work, f"""\
        version = 1
        [values]
        Greeting = "hello"
        Image = "{container_image}"
        [env]
        GLOBAL = "{{{{.Greeting}}}} world"
        [[steps]]
        [steps.shell]
        script = '''
        set -e
        mkdir -p /root/prov
        echo "$GLOBAL $STEP {{{{.NotTemplated}}}}" > /root/prov/first
        '''
        [steps.shell.env]
        STEP = "it's quoted"
        [[steps]]
        [steps.shell]
        script = "cp /root/prov/first /root/prov/second"
        [[steps]]
        [steps.rsync]
        source = "data/"
        dest = "/root/prov/data"
        [[steps]]
        [steps.container]
        image = "{{{{.Image}}}}"
        pull = "Never"
        command = ["sh", "-c", "{container_script}"]
        [steps.container.env]
        FROM = "{{{{.Greeting}}}}"
        [steps.container.copy]
        source = "/out"
        dest = "out"
        """, extra={"virter_provision_set": {"values.Greeting": "hi"}})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in lab["names"]:
        assert ssh(lab, name, "cat /root/prov/first /root/prov/second /root/prov/container").splitlines() == [
            "hi world it's quoted {{.NotTemplated}}"] * 2 + ["from-container"]
        assert ssh(lab, name, "stat -c '%a %n' /root/prov/data/a.txt /root/prov/data/sub/b.sh").split() == [
            "644", "/root/prov/data/a.txt", "750", "/root/prov/data/sub/b.sh"]
    assert sorted((work / "out" / "out" / "targets").read_text().split()) == lab["names"]
    access, greeting = (work / "out" / "out" / "env").read_text().split()
    assert (access.endswith("/24"), greeting) == (True, "hi")
    assert subprocess.run(["podman", "ps", "-a", "--format", "{{.Names}}"], capture_output=True, text=True,
                          check=True).stdout.strip() == ""


def test_a_failing_step_stops_every_host(lab, tmp_path):
    first, second = lab["names"]
    proc = provision(lab, tmp_path, f"""\
        version = 1
        [[steps]]
        [steps.shell]
        script = "rm -f /root/step0 /root/step2; touch /root/step0"
        [[steps]]
        [steps.shell]
        script = '[ "$(hostname)" != {second} ] || exit 7'
        [[steps]]
        [steps.shell]
        script = "touch /root/step2"
        """)
    assert proc.returncode != 0
    assert f"steps[1] (shell) failed on {second} with exit status 7" in proc.stdout, proc.stdout
    for name in (first, second):
        assert ssh(lab, name, "ls /root/step0 /root/step2 2>/dev/null; true").split() == ["/root/step0"]


def test_a_failing_container_is_copied_out_and_removed(lab, container_image, tmp_path):
    (tmp_path / "out").mkdir()
    proc = provision(lab, tmp_path, f"""\
        version = 1
        [[steps]]
        [steps.container]
        image = "{container_image}"
        command = ["sh", "-c", "mkdir /out && echo $TARGETS > /out/targets && exit 5"]
        [steps.container.copy]
        source = "/out"
        dest = "out"
        [[steps]]
        [steps.shell]
        script = "touch /root/after-container"
        """)
    assert proc.returncode != 0
    assert f"steps[0] (container {container_image}) failed with exit status 5" in proc.stdout, proc.stdout
    assert sorted((tmp_path / "out" / "out" / "targets").read_text().strip().split(",")) == lab["names"]
    assert subprocess.run(["podman", "ps", "-a", "--format", "{{.Names}}"], capture_output=True, text=True,
                          check=True).stdout.strip() == ""
    assert ssh(lab, lab["names"][0], "ls /root/after-container 2>/dev/null; true") == ""


def test_a_bad_file_fails_before_any_step(lab, tmp_path):
    proc = provision(lab, tmp_path, """\
        version = 1
        [[steps]]
        [steps.shell]
        script = "touch /root/never"
        [[steps]]
        [steps.shell]
        scirpt = "true"
        """, limit=lab["names"][0])
    assert proc.returncode != 0
    assert "p.toml: steps[1].shell" in proc.stdout and "scirpt" in proc.stdout, proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
    assert ssh(lab, lab["names"][0], "ls /root/never 2>/dev/null; true") == ""


def test_check_mode_runs_no_step(lab, tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "f").write_text("f\n")
    proc = provision(lab, tmp_path, """\
        version = 1
        [[steps]]
        [steps.shell]
        script = "touch /root/checked"
        [[steps]]
        [steps.rsync]
        source = "data"
        dest = "/root/checked-data"
        """, check=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in lab["names"]:
        assert ssh(lab, name, "ls -d /root/checked /root/checked-data 2>/dev/null; true") == ""


def test_image_build_with_a_provisioning_file(debian_image, tmp_path):
    (tmp_path / "build.toml").write_text(textwrap.dedent("""\
        version = 1
        [values]
        Mark = "built"
        [[steps]]
        [steps.shell]
        script = "echo provisioned-$MARK > /etc/vtest-prov-mark; cat /etc/vtest-prov-mark"
        [steps.shell.env]
        MARK = "{{.Mark}}"
        """))
    book = tmp_path / "build.yml"
    book.write_text(yaml.safe_dump([{"name": "Build", "ansible.builtin.import_playbook": "virter.core.image_build"}]))
    build_vars = {"virter_image_build_name": "vtest-prov-built", "virter_image_build_base": debian_image,
                  "virter_image_build_provision_file": "build.toml",
                  "virter_image_build_vm_options": {"virt_type": "qemu", "memory": "512M"}}
    try:
        proc = subprocess.run(["ansible-playbook", str(book), "-e", yaml.safe_dump(build_vars, default_flow_style=True)],
                              cwd=tmp_path, capture_output=True, text=True, timeout=1800, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "provisioned-built" in proc.stdout, proc.stdout
        image = run_task("virter.core.virter_image_info", {"name": "vtest-prov-built"})
        assert [i["name"] for i in image["images"]] == ["vtest-prov-built"], image
    finally:
        run_task("virter.core.virter_image", {"name": "vtest-prov-built", "state": "absent"})
