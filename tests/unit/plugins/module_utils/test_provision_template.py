"""Templating: Go's {{.Name}} from [values], missingkey=error, and exactly the fields virter
templates."""
import pytest

from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput
from ansible_collections.virter.core.plugins.module_utils.provision.load import parse
from ansible_collections.virter.core.plugins.module_utils.provision.template import expand

VALUES = {"Image": "debian-12", "Tag": "v1", "Empty": ""}


@pytest.mark.parametrize("text,expected", [
    ("{{.Image}}", "debian-12"),
    ("{{ .Image }}", "debian-12"),
    ("{{\t.Image\n}}", "debian-12"),
    ("reg/{{.Image}}:{{.Tag}}", "reg/debian-12:v1"),
    ("a{{.Empty}}b", "ab"),
    ("no action } here }}", "no action } here }}"),
    ("a  {{- .Tag }}  b", "av1  b"),
    ("a  {{ .Tag -}}  \n b", "a  v1b"),
    ("a \n{{- .Tag -}}\n b", "av1b"),
    ("{{.Image}}{{.Image}}", "debian-12debian-12"),
])
def test_field_references_are_replaced(text, expected):
    assert expand(text, VALUES, "p.toml", ("x",)) == expected


def test_a_value_is_not_templated_again():
    assert expand("{{.A}}", {"A": "{{.B}}"}, "p.toml", ("x",)) == "{{.B}}"


@pytest.mark.parametrize("text,message", [
    ("{{.Missing}}", "template refers to {{.Missing}}, but [values] has no Missing"),
    ("{{.image}}", "template refers to {{.image}}, but [values] has no image"),
    ("{{.}}", "template action {{.}} is not supported: only {{.Name}} references to [values] are"),
    ("{{.Values.Image}}", "template action {{.Values.Image}} is not supported"),
    ('{{index . "Image"}}', "template action {{index . \"Image\"}} is not supported"),
    ("{{.Image | printf \"%s\"}}", "template action"),
    ("{{if .Image}}x{{end}}", "template action {{if .Image}} is not supported"),
    ("{{/* note */}}", "template action {{/* note */}} is not supported"),
    ("{{-.Image}}", "template action {{-.Image}} is not supported"),
    ("{{$x := 1}}", "is not supported"),
    ("{{.Image", "template action '{{.Image' has no closing }}"),
    ("{{.Image}} {{", "template action '{{' has no closing }}"),
])
def test_anything_else_is_refused_with_the_key(text, message):
    with pytest.raises(InvalidInput) as info:
        expand(text, VALUES, "p.toml", ("steps", 0, "container", "image"))
    assert str(info.value).startswith("p.toml: steps[0].container.image: ")
    assert message in str(info.value)


T = "{{.V}}"
FILE = '''version = 1
[values]
V = "v"
[env]
GLOBAL = "{{.V}}"
[[steps]]
[steps.container]
image = "{{.V}}"
command = ["{{.V}}", "x{{.V}}"]
env = {E = "{{.V}}"}
copy = {source = "/{{.V}}", dest = "{{.V}}"}
[[steps]]
[steps.shell]
script = "echo {{.V}}"
env = {E = "{{.V}}"}
[[steps]]
[steps.rsync]
source = "{{.V}}/*"
dest = "/{{.V}}"
'''


def test_exactly_the_fields_virter_templates_are_templated(tmp_path):
    (tmp_path / "v").mkdir()
    container, shell, rsync = parse(FILE, "p.toml", base_dir=str(tmp_path)).steps
    assert container["image"] == "v"
    assert container["command"] == ["v", "xv"]
    assert container["env"] == {"GLOBAL": "v", "E": "v"}
    assert container["copy"] == {"source": "/" + T, "dest": "v"}
    assert shell["script"] == "echo " + T
    assert shell["env"] == {"GLOBAL": "v", "E": "v"}
    assert rsync["source"] == "v/*"
    assert rsync["dest"] == "/" + T


@pytest.mark.parametrize("field,path", [
    ('image = "{{.Nope}}"', "steps[0].container.image"),
    ('image = "x"\ncommand = ["ls", "{{.Nope}}"]', "steps[0].container.command[1]"),
    ('image = "x"\nenv = {E = "{{.Nope}}"}', "steps[0].container.env.E"),
    ('image = "x"\ncopy = {source = "/a", dest = "{{.Nope}}"}', "steps[0].container.copy.dest"),
])
def test_a_missing_value_names_the_key_container(field, path):
    with pytest.raises(InvalidInput) as info:
        parse("version = 1\n[[steps]]\n[steps.container]\n" + field, "p.toml")
    assert str(info.value) == "p.toml: %s: template refers to {{.Nope}}, but [values] has no Nope" % path


def test_a_missing_value_names_the_key_shell_rsync_and_global_env():
    cases = [
        ('[[steps]]\n[steps.shell]\nscript = "x"\nenv = {E = "{{.Nope}}"}', "steps[0].shell.env.E"),
        ('[[steps]]\n[steps.rsync]\nsource = "{{.Nope}}"\ndest = "/a"', "steps[0].rsync.source"),
        ('[env]\nG = "{{.Nope}}"\n[[steps]]\n[steps.shell]\nscript = "x"', "env.G"),
    ]
    for text, path in cases:
        with pytest.raises(InvalidInput) as info:
            parse("version = 1\n" + text, "p.toml")
        assert str(info.value) == "p.toml: %s: template refers to {{.Nope}}, but [values] has no Nope" % path


def test_global_env_is_templated_only_where_a_step_uses_it():
    # virter templates env after merging it into shell and container steps; rsync has none.
    text = 'version = 1\n[env]\nG = "{{.Nope}}"\n[[steps]]\n[steps.rsync]\nsource = "a"\ndest = "/b"'
    assert parse(text, "p.toml").steps[0]["source"] == "a"


def test_fields_that_are_not_templated_keep_braces_even_when_they_would_fail():
    text = ('version = 1\n[[steps]]\n[steps.shell]\nscript = "{{.Nope}} {{ bad"\n'
            '[[steps]]\n[steps.rsync]\nsource = "a"\ndest = "{{.Nope}}"\n'
            '[[steps]]\n[steps.container]\nimage = "x"\ncopy = {source = "{{ bad", dest = "."}')
    shell, rsync, container = parse(text, "p.toml").steps
    assert shell["script"] == "{{.Nope}} {{ bad"
    assert rsync["dest"] == "{{.Nope}}"
    assert container["copy"]["source"] == "{{ bad"
