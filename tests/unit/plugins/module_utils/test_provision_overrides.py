"""`--set` overrides (virter_provision_set): strvals paths laid onto the file, refused when
they name no string field of the format."""
import pytest

from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput
from ansible_collections.virter.core.plugins.module_utils.provision import paths
from ansible_collections.virter.core.plugins.module_utils.provision.load import parse

FILE = '''version = 1
[values]
Image = "a"
[env]
foo = "bar"
[[steps]]
[steps.shell]
script = "echo one"
[[steps]]
[steps.container]
image = "{{.Image}}"
command = ["ls", "-l"]
'''


@pytest.mark.parametrize("text,path", [
    ("values.Image", ("values", "Image")),
    ("steps[0].shell.script", ("steps", 0, "shell", "script")),
    ("steps[12].container.command[3]", ("steps", 12, "container", "command", 3)),
    (r"values.a\.b", ("values", "a.b")),
    (r"env.x\[0\]", ("env", "x[0]")),
    ("a[0][1]", ("a", 0, 1)),
])
def test_paths_read_as_strvals_reads_them(text, path):
    assert paths.parse(text) == path


def test_paths_show_as_they_are_written():
    assert paths.show(("steps", 12, "container", "command", 3)) == "steps[12].container.command[3]"
    assert paths.show(("env", "1BAD")) == "env.1BAD"


@pytest.mark.parametrize("text", ["", ".a", "a..b", "a.", "a[x]", "a[]", "a[0", "a[-1]", "a[0]b", "[0]"])
def test_malformed_paths_are_refused(text):
    with pytest.raises(ValueError):
        paths.parse(text)


def steps(overrides, text=FILE):
    return parse(text, "p.toml", overrides).steps


def test_values_env_and_step_fields_are_replaced():
    shell, container = steps({"values.Image": "x", "env.foo": "baz", "steps[0].shell.script": "env",
                              "steps[1].container.command[1]": "-a"})
    assert shell["script"] == "env"
    assert shell["env"] == {"foo": "baz"}
    assert container["image"] == "x"
    assert container["command"] == ["ls", "-a"]


def test_tables_merge_key_by_key_and_arrays_grow_at_their_end():
    shell, container = steps({"values.New": "n", "steps[0].shell.env.X": "{{.New}}",
                              "steps[1].container.command[2]": "/"})
    assert shell["env"] == {"foo": "bar", "X": "n"}
    assert container["command"] == ["ls", "-l", "/"]


def test_new_steps_come_in_index_order_whatever_the_order_of_the_dict():
    added = steps({"steps[3].shell.script": "three", "steps[2].shell.script": "two",
                   "steps[2].shell.env.A": "a"})[2:]
    assert [(step["script"], step["env"]) for step in added] == [("two", {"foo": "bar", "A": "a"}),
                                                                 ("three", {"foo": "bar"})]


def test_a_file_of_just_a_version_gets_its_steps_from_overrides():
    shell, = steps({"steps[0].shell.script": "env", "steps[0].shell.env.foo": "bar"}, text="version = 1")
    assert shell["script"] == "env" and shell["env"] == {"foo": "bar"}


def test_an_override_that_leaves_a_step_incomplete_fails_on_the_files_rules():
    with pytest.raises(InvalidInput, match=r"^p\.toml: steps\[2\]\.rsync\.dest: missing$"):
        steps({"steps[2].rsync.source": "a"})
    with pytest.raises(InvalidInput, match=r"^p\.toml: steps\[0\]: a step has exactly one of .* not shell and rsync$"):
        steps({"steps[0].rsync.source": "a", "steps[0].rsync.dest": "/b"})


@pytest.mark.parametrize("overrides,message", [
    ({"steps[0].shell.scrpt": "x"}, "steps[0].shell.scrpt: unknown key"),
    ({"value.Image": "x"}, "value: unknown key"),
    ({"steps[0].Shell.script": "x"}, "steps[0].Shell: unknown key"),
    ({"version": "1"}, "version: cannot be set: an override is a string; the file says version = 1"),
    ({"env": "x"}, "env: is a table: set its keys (env.NAME)"),
    ({"steps[0].shell": "x"}, "steps[0].shell: is a table: set its keys (steps[0].shell.NAME)"),
    ({"steps": "x"}, "steps: is an array: set its items (steps[N])"),
    ({"steps.shell.script": "x"}, "steps: is an array: name an item with [N]"),
    ({"steps[1].container.command": "ls"},
     "steps[1].container.command: is an array: set its items (steps[1].container.command[N])"),
    ({"values[0]": "x"}, "values: is not an array: [0] names nothing"),
    ({"values.Image.x": "x"}, "values.Image: is a single value: it has no key x"),
    ({"steps[3].shell.script": "x"}, "steps[3]: past the end: steps has 2 items, the next one is [2]"),
    ({"steps[1].container.command[5]": "x"},
     "steps[1].container.command[5]: past the end: steps[1].container.command has 2 items, the next one is [2]"),
    ({"values.Image": 3}, "values.Image: the value must be a string, not 3 (quote it)"),
    ({"values..Image": "x"}, "'values..Image' is not a key path: empty key before '.'"),
])
def test_bad_overrides_are_refused_naming_the_override(overrides, message):
    with pytest.raises(InvalidInput) as info:
        steps(overrides)
    assert str(info.value) == "virter_provision_set: " + message


def test_the_overrides_name_in_messages_is_the_callers():
    with pytest.raises(InvalidInput, match="^virter_image_build_provision_set: values.Image: is a single value"):
        parse(FILE, "p.toml", {"values.Image.x": "x"}, overrides_name="virter_image_build_provision_set")


def test_the_files_own_errors_come_before_the_overrides():
    with pytest.raises(InvalidInput, match=r"^p\.toml: typo: unknown key$"):
        parse('version = 1\ntypo = 1', "p.toml", {"steps[0].shell.scrpt": "x"})
