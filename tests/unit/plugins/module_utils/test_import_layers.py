"""Which areas of module_utils may reach which: image and registry code works on images
and the store only, never on VMs or networks (a commit's VM side and the disks VMs use
are handed in); the shared top-level files reach no area at all."""
import ast
import pathlib

import pytest

PREFIX = "ansible_collections.virter.core.plugins.module_utils."
ROOT = pathlib.Path(__file__).resolve().parents[4] / "plugins" / "module_utils"


def imports(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PREFIX):
            yield node.module[len(PREFIX):]
            for alias in node.names:
                yield node.module[len(PREFIX):] + "." + alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PREFIX):
                    yield alias.name[len(PREFIX):]


def reached(path):
    """The module_utils files `path` imports, directly or not, relative to ROOT."""
    seen, todo = set(), [path]
    while todo:
        for name in imports(todo.pop()):
            target = ROOT / (name.replace(".", "/") + ".py")
            if target.is_file() and target not in seen:
                seen.add(target)
                todo.append(target)
    return sorted(str(target.relative_to(ROOT)) for target in seen)


@pytest.mark.parametrize("area", ["image", "registry"])
def test_image_and_registry_code_reaches_no_vm_or_network_code(area):
    files = sorted((ROOT / area).glob("*.py"))
    assert files
    for path in files:
        assert [name for name in reached(path) if name.startswith(("vm/", "network/"))] == [], path.name


# The areas each area may import from, beside the shared top-level files (`_*.py`).
MAY_USE = {
    "store": set(),
    "locks": {"store"},
    "registry": {"store"},
    "network": set(),
    "image": {"store", "locks", "registry"},
    "vm": {"store", "locks", "registry", "image", "network"},
    "inventory": set(),
    "lab": {"vm"},
    "provision": set(),
}


def test_areas_import_only_the_areas_below_them():
    areas = sorted(path.name for path in ROOT.iterdir() if (path / "__init__.py").is_file())
    assert areas == sorted(MAY_USE)
    for path in sorted(ROOT.glob("*/*.py")) + sorted(ROOT.glob("_*.py")):
        own = path.parent.name if path.parent != ROOT else None
        allowed = MAY_USE.get(own, set()) | {own}
        used = set(name.split(".")[0] for name in imports(path) if not name.startswith("_"))
        assert used <= allowed, "%s imports %s" % (path.relative_to(ROOT), sorted(used - allowed))
