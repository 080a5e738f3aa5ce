"""Make the source tree importable as ansible_collections.virter.core for pytest, the way
ansible-test does: through Ansible's collection finder, so plugins load by their FQCN."""
from pathlib import Path

from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

ROOT = Path(__file__).resolve().parents[1]
_BASE = ROOT / "build" / "src"
_LINK = _BASE / "ansible_collections" / "virter" / "core"

if not _LINK.is_symlink():
    _LINK.parent.mkdir(parents=True, exist_ok=True)
    _LINK.symlink_to(ROOT)
_AnsibleCollectionFinder(paths=[str(_BASE)])._install()
