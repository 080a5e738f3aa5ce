"""Env: the global env under each step's, shell names checked, values quoted in the export
lines that precede the script on the login shell's standard input."""
import pytest

from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput
from ansible_collections.virter.core.plugins.module_utils.provision.load import parse
from ansible_collections.virter.core.plugins.module_utils.provision.shell import exports, shell_input


def shell_step(global_env="", step_env="", overrides=None):
    text = 'version = 1\n[env]\n%s\n[[steps]]\n[steps.shell]\nscript = "echo rck"\n[steps.shell.env]\n%s\n' % (
        global_env, step_env)
    return parse(text, "p.toml", overrides).steps[0]


@pytest.mark.parametrize("global_env,step_env,expected", [
    ('foo = "bar"\nbar = "baz"', "", {"foo": "bar", "bar": "baz"}),
    ("", 'foo = "bar"\nbar = "baz=lala"', {"foo": "bar", "bar": "baz=lala"}),
    ('foo = "bar"\nbar = "baz"', 'rck = "was"\nhere = ""', {"foo": "bar", "bar": "baz", "rck": "was", "here": ""}),
    ('foo = "bar"\nbar = "baz"', 'rck = "was"\nfoo = "rck"', {"foo": "rck", "bar": "baz", "rck": "was"}),
])
def test_the_steps_env_overrides_the_global_env(global_env, step_env, expected):
    env = shell_step(global_env, step_env)["env"]
    assert env == expected
    # Global names first, in the file's order, then the step's own.
    assert list(env) == list(expected)


def test_overrides_of_global_and_step_env_merge_the_same_way():
    assert shell_step(overrides={"env.foo": "bar", "steps[0].shell.env.foo": "rck"})["env"] == {"foo": "rck"}
    assert shell_step('foo = "bar"\nbar = "baz"', 'rck = "was"\nfoo = "rck"',
                      {"steps[0].shell.env.foo": "xyz"})["env"] == {"foo": "xyz", "bar": "baz", "rck": "was"}


def test_container_steps_merge_env_the_same_way():
    text = ('version = 1\n[env]\nA = "global"\nB = "global"\n[[steps]]\n[steps.container]\nimage = "x"\n'
            '[steps.container.env]\nB = "step"\n"not.a.shell.name" = "ok"\n')
    assert parse(text, "p.toml").steps[0]["env"] == {"A": "global", "B": "step", "not.a.shell.name": "ok"}


@pytest.mark.parametrize("name", ["1BAD", "A-B", "a.b", "A B", "", "É", "A=B", "$A"])
def test_shell_env_names_are_shell_identifiers(name):
    with pytest.raises(InvalidInput) as info:
        shell_step(step_env='"%s" = "x"' % name)
    assert str(info.value) == "p.toml: steps[0].shell.env.%s: not a valid environment variable name" % name


def test_a_bad_global_name_fails_at_its_own_key_when_a_shell_step_gets_it():
    with pytest.raises(InvalidInput) as info:
        shell_step(global_env='1BAD = "x"')
    assert str(info.value) == "p.toml: env.1BAD: not a valid environment variable name"


@pytest.mark.parametrize("name", ["", "A=B"])
def test_container_env_names_cannot_be_empty_or_hold_an_equals_sign(name):
    text = 'version = 1\n[[steps]]\n[steps.container]\nimage = "x"\nenv = {"%s" = "v"}' % name
    with pytest.raises(InvalidInput) as info:
        parse(text, "p.toml")
    assert str(info.value) == "p.toml: steps[0].container.env.%s: not a valid environment variable name" % name


@pytest.mark.parametrize("value,quoted", [
    ("plain", "plain"),
    ("", "''"),
    ("a b", "'a b'"),
    ("it's", "'it'\"'\"'s'"),
    ("$HOME `id` \\ \"x\"", "'$HOME `id` \\ \"x\"'"),
    ("two\nlines", "'two\nlines'"),
    ("a=b,c:d/e@f%g+h-i.j", "a=b,c:d/e@f%g+h-i.j"),
])
def test_export_lines_quote_values_as_virter_does(value, quoted):
    assert exports({"K": value}) == "K=%s; export K\n" % quoted


def test_the_shell_input_is_exports_then_script_then_a_newline():
    step = shell_step('foo = "b a r"', 'rck = "was"')
    assert shell_input(step) == "foo='b a r'; export foo\nrck=was; export rck\necho rck\n"
    assert shell_input(dict(step, env={})) == "echo rck\n"
