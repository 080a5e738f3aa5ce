"""Host paths stay in the working directory: rsync source globs (Go's filepath.Glob) and
container copy destinations, symlinks resolved."""
import os

import pytest

from ansible_collections.virter.core.plugins.module_utils._errors import InvalidInput
from ansible_collections.virter.core.plugins.module_utils.provision import glob, workdir
from ansible_collections.virter.core.plugins.module_utils.provision.load import parse


@pytest.fixture
def work(tmp_path):
    """A working directory with files, a dot file, a directory and links in and out."""
    base = tmp_path / "work"
    (base / "rpms").mkdir(parents=True)
    for name in ("a.rpm", "b.rpm", ".hidden.rpm", "notes.txt"):
        (base / "rpms" / name).write_text(name)
    (base / "out").mkdir()
    (tmp_path / "secret").write_text("no")
    os.symlink(str(tmp_path / "secret"), str(base / "rpms" / "z.rpm"))
    os.symlink(str(base / "rpms"), str(base / "inner"))
    os.symlink(str(tmp_path), str(base / "up"))
    return base


def rsync(source, base):
    text = 'version = 1\n[[steps]]\n[steps.rsync]\nsource = "%s"\ndest = "/tmp"\n' % source
    return parse(text, "p.toml", base_dir=str(base)).steps[0]


def refused(source, base, resolved):
    with pytest.raises(InvalidInput) as info:
        rsync(source, base)
    assert str(info.value) == ("p.toml: steps[0].rsync.source: %s resolves to %s, which is outside the working "
                               "directory %s" % (workdir.glob_prefix(source), resolved, os.path.realpath(str(base))))


def test_sources_outside_the_working_directory_fail_when_the_file_is_read(work):
    outside = os.path.realpath(str(work.parent))
    refused("/tmp/*.rpm", work, "/tmp")
    refused("../*", work, outside)
    refused("rpms/../../*.rpm", work, outside)
    refused("up/*", work, outside)
    refused("/*", work, "/")
    refused("/etc/passwd", work, "/etc/passwd")
    # Checked even when nothing matches.
    refused("../nothing-here-*", work, outside)


def test_sources_inside_pass_absolute_or_relative(work):
    assert rsync("rpms/*.rpm", work)["source"] == "rpms/*.rpm"
    assert rsync(str(work) + "/rpms/*", work)["source"] == str(work) + "/rpms/*"
    assert rsync("rpms/../rpms/*", work)["source"] == "rpms/../rpms/*"


def test_bad_glob_patterns_fail_when_the_file_is_read(work):
    with pytest.raises(InvalidInput, match=r"^p\.toml: steps\[0\]\.rsync\.source: 'rpms/\[a' is not a valid glob"):
        rsync("rpms/[a", work)


def test_matches_are_resolved_and_each_must_stay_inside(work):
    real = os.path.realpath(str(work))
    assert workdir.rsync_sources(rsync("rpms/[ab].rpm", work), str(work)) == [real + "/rpms/a.rpm", real + "/rpms/b.rpm"]
    assert workdir.rsync_sources(rsync("inner/a.*", work), str(work)) == [real + "/rpms/a.rpm"]
    assert workdir.rsync_sources(rsync("nothing*", work), str(work)) == []
    with pytest.raises(InvalidInput) as info:
        workdir.rsync_sources(rsync("rpms/*.rpm", work), str(work))
    assert str(info.value).startswith("p.toml: steps[0].rsync.source: rpms/z.rpm resolves to %s, which is outside"
                                      % os.path.realpath(str(work.parent / "secret")))


def test_a_trailing_slash_is_kept(work):
    real = os.path.realpath(str(work))
    assert workdir.rsync_sources(rsync("rpms/", work), str(work)) == [real + "/rpms/"]
    assert workdir.rsync_sources(rsync("inner/", work), str(work)) == [real + "/rpms/"]


def test_a_dangling_link_fails(work):
    os.symlink(str(work / "gone"), str(work / "dangling"))
    with pytest.raises(InvalidInput, match=r"^p\.toml: steps\[0\]\.rsync\.source: dangling is a dangling symlink$"):
        workdir.rsync_sources(rsync("dang*", work), str(work))


@pytest.mark.parametrize("pattern,expected", [
    ("rpms/*.rpm", ["rpms/.hidden.rpm", "rpms/a.rpm", "rpms/b.rpm", "rpms/z.rpm"]),
    ("rpms/?.rpm", ["rpms/a.rpm", "rpms/b.rpm", "rpms/z.rpm"]),
    ("rpms/[^a].rpm", ["rpms/b.rpm", "rpms/z.rpm"]),
    ("rpms/[a-b].rpm", ["rpms/a.rpm", "rpms/b.rpm"]),
    ("*/a.rpm", ["inner/a.rpm", "rpms/a.rpm"]),
    ("*", ["inner", "out", "rpms", "up"]),
    ("**/a.rpm", ["inner/a.rpm", "rpms/a.rpm"]),
    ("rpms", ["rpms"]),
    ("./rpms/a*", ["rpms/a.rpm"]),
    ("missing", []),
    ("missing/*", []),
    ("rpms/a.rpm/*", []),
    ("r*/", []),
    (r"rpms/\a.rpm", ["rpms/a.rpm"]),
])
def test_glob_is_gos(work, pattern, expected):
    assert glob.glob(pattern, str(work)) == expected


@pytest.mark.parametrize("pattern,name,matches", [
    ("[z-a]", "a", False),
    ("[^z-a]", "a", True),
    (r"[\]]", "]", True),
    (r"\*", "*", True),
    (r"\*", "a", False),
    ("a*b", "a/b", False),
    ("*", ".x", True),
])
def test_match_is_gos(pattern, name, matches):
    assert bool(glob.compile_pattern(pattern).match(name)) == matches


@pytest.mark.parametrize("pattern", ["[", "[]", "[^]", "a[b", "[a-]", "[-a]", "a\\", "[\\"])
def test_malformed_patterns_fail(pattern):
    with pytest.raises(ValueError):
        glob.compile_pattern(pattern)


def copy_step(dest, base):
    text = ('version = 1\n[values]\nD = "out"\n[[steps]]\n[steps.container]\nimage = "x"\n'
            'copy = {source = "/x", dest = "%s"}\n' % dest)
    return parse(text, "p.toml", base_dir=str(base)).steps[0]


def test_copy_destinations_stay_inside(work):
    real = os.path.realpath(str(work))
    assert workdir.copy_dest(copy_step("{{.D}}", work), str(work)) == real + "/out"
    assert workdir.copy_dest(copy_step(".", work), str(work)) == real
    for dest, resolved in (("..", os.path.dirname(real)), ("/tmp", "/tmp"), ("up/x", os.path.dirname(real) + "/x")):
        with pytest.raises(InvalidInput, match=r"^p\.toml: steps\[0\]\.container\.copy\.dest: .* resolves to %s, "
                           "which is outside" % resolved):
            copy_step(dest, work)


def test_a_copy_destination_must_exist_when_the_step_runs(work):
    step = copy_step("later", work)
    with pytest.raises(InvalidInput, match=r"container\.copy\.dest: later is not a directory \(it must exist"):
        workdir.copy_dest(step, str(work))
    (work / "later").mkdir()
    assert workdir.copy_dest(step, str(work)) == os.path.realpath(str(work / "later"))
