"""Provisioning files: version, strict keys and types, one kind per step, required fields,
pull policies; reading a file."""
import pytest

from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput
from ansible_collections.virter.core.plugins.module_utils.provision.load import load, parse

SHELL = '[[steps]]\n[steps.shell]\nscript = "true"\n'


def fails(text, message, **kwargs):
    with pytest.raises(InvalidInput) as info:
        parse(text, "p.toml", **kwargs)
    assert str(info.value) == message
    return info.value


def test_a_minimal_file_has_no_steps():
    provision = parse("version = 1", "p.toml")
    assert provision.name == "p.toml"
    assert provision.steps == []


@pytest.mark.parametrize("text,message", [
    ("", "p.toml: version: missing: virter provisioning files start with version = 1"),
    (SHELL, "p.toml: version: missing: virter provisioning files start with version = 1"),
    ("version = 0", "p.toml: version: unsupported provisioning file version 0 (want 1)"),
    ("version = 2", "p.toml: version: unsupported provisioning file version 2 (want 1)"),
    ('version = "1"', "p.toml: version: must be an integer, not a string"),
    ("version = true", "p.toml: version: must be an integer, not a boolean"),
    ("version = 1.0", "p.toml: version: must be an integer, not a float"),
])
def test_the_version_is_exactly_1(text, message):
    fails(text, message)


@pytest.mark.parametrize("text,path", [
    ('version = 1\ntypo = "oops"', "typo"),
    ('version = 1\n[values]\nA = "a"\n[valuez]\nB = "b"', "valuez"),
    ('version = 1\n' + SHELL + 'destination = "/tmp"', "steps[0].shell.destination"),
    ('version = 1\n' + SHELL + '[[steps]]\n[steps.docker]\nimage = "x"', "steps[1].docker"),
    ('version = 1\n[[steps]]\n[steps.container]\nimage = "x"\nentrypoint = "sh"', "steps[0].container.entrypoint"),
    ('version = 1\n[[steps]]\n[steps.container]\nimage = "x"\n[steps.container.copy]\nsource = "/a"\ndest = "."\n'
     'mode = "0644"', "steps[0].container.copy.mode"),
    ('version = 1\n[[steps]]\nname = "first"\n[steps.shell]\nscript = "true"', "steps[0].name"),
])
def test_unknown_keys_are_refused_with_their_path(text, path):
    fails(text, "p.toml: %s: unknown key" % path)


@pytest.mark.parametrize("text,message", [
    ("version = 1\n[values]\nN = 3", "values.N: must be a string, not an integer"),
    ('version = 1\nenv = "A=1"', "env: must be a table, not a string"),
    ('version = 1\n[steps]\nshell = {script = "x"}', "steps: must be an array, not a table"),
    ("version = 1\n[[steps]]\nshell = 1", "steps[0].shell: must be a table, not an integer"),
    ('version = 1\n[[steps]]\n[steps.shell]\nscript = ["a", "b"]', "steps[0].shell.script: must be a string, not an array"),
    ('version = 1\n[[steps]]\n[steps.shell]\nscript = "x"\nenv = {N = 1}', "steps[0].shell.env.N: must be a string, not an integer"),
    ('version = 1\n[[steps]]\n[steps.container]\nimage = "x"\ncommand = "ls -l"',
     "steps[0].container.command: must be an array, not a string"),
    ('version = 1\n[[steps]]\n[steps.container]\nimage = "x"\ncommand = ["ls", 1]',
     "steps[0].container.command[1]: must be a string, not an integer"),
    ('version = 1\n[[steps]]\n[steps.rsync]\nsource = "a"\ndest = 1979-05-27',
     "steps[0].rsync.dest: must be a string, not a date"),
])
def test_types_are_checked_with_the_path(text, message):
    fails(text, "p.toml: " + message)


@pytest.mark.parametrize("step,message", [
    ("[[steps]]", "steps[0]: a step has exactly one of container, shell, rsync, not none"),
    ('[[steps]]\n[steps.shell]\nscript = "a"\n[steps.rsync]\nsource = "a"\ndest = "/b"',
     "steps[0]: a step has exactly one of container, shell, rsync, not shell and rsync"),
    ("[[steps]]\n[steps.shell]", "steps[0].shell.script: missing"),
    ('[[steps]]\n[steps.rsync]\nsource = "a"', "steps[0].rsync.dest: missing"),
    ('[[steps]]\n[steps.rsync]\ndest = "/a"', "steps[0].rsync.source: missing"),
    ("[[steps]]\n[steps.container]", "steps[0].container.image: missing"),
    ('[[steps]]\n[steps.container]\nimage = "x"\ncopy = {source = "/a"}', "steps[0].container.copy.dest: missing"),
    ('[[steps]]\n[steps.container]\nimage = "x"\ncopy = {dest = "."}', "steps[0].container.copy.source: missing"),
])
def test_a_step_is_of_one_kind_with_its_fields(step, message):
    fails("version = 1\n" + step, "p.toml: " + message)


def container(pull=None):
    return 'version = 1\n[[steps]]\n[steps.container]\nimage = "x"\n' + ('pull = "%s"\n' % pull if pull else "")


@pytest.mark.parametrize("pull,kwargs,expected", [
    (None, {}, "IfNotExist"),
    ("Always", {}, "Always"),
    ("never", {}, "Never"),
    ("IFNOTEXIST", {}, "IfNotExist"),
    (None, {"pull_default": "always"}, "Always"),
    ("Never", {"pull_default": "Always"}, "Never"),
    ("Never", {"pull_override": "Always"}, "Always"),
])
def test_the_pull_policy_is_the_steps_else_the_default_and_an_override_wins(pull, kwargs, expected):
    assert parse(container(pull), "p.toml", **kwargs).steps[0]["pull"] == expected


def test_unknown_pull_policies_are_refused():
    fails(container("Sometimes"),
          "p.toml: steps[0].container.pull: unknown pull policy 'Sometimes' (one of Always, IfNotExist, Never)")
    fails(container(), "pull_override: unknown pull policy 'often' (one of Always, IfNotExist, Never)",
          pull_override="often")


def test_toml_syntax_errors_name_the_file():
    error = fails_prefix('version = 1\n[steps.shell\n', "p.toml: not valid TOML: ")
    assert "line 2" in str(error)
    fails_prefix('version = 1\nversion = 1\n', "p.toml: not valid TOML: ")


def fails_prefix(text, prefix):
    with pytest.raises(InvalidInput) as info:
        parse(text, "p.toml")
    assert str(info.value).startswith(prefix)
    return info.value


def test_load_reads_the_file_and_names_it(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('version = 1\n[[steps]]\n[steps.shell]\nscript = "echo hi"\n')
    provision = load(str(path), base_dir=str(tmp_path))
    assert provision.name == str(path)
    assert provision.steps == [{"kind": "shell", "file": str(path), "index": 0, "script": "echo hi", "env": {}}]
    path.write_text("version = 2\n")
    with pytest.raises(InvalidInput, match="^%s: version: unsupported" % path):
        load(str(path))
    with pytest.raises(InvalidInput, match="^cannot read provisioning file .*missing.toml"):
        load(str(tmp_path / "missing.toml"))


def test_without_a_toml_reader_the_message_says_what_to_install(monkeypatch):
    from ansible_collections.virter.core.plugins.module_utils import _toml
    monkeypatch.setattr(_toml, "MISSING", "needs Python 3.11 or the tomli package")
    with pytest.raises(InvalidInput, match="^reading provisioning file p.toml needs Python 3.11 or the tomli package$"):
        parse("version = 1", "p.toml")
