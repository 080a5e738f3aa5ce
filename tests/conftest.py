"""Make the source tree importable as ansible_collections.virter.core for pytest."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_BASE = ROOT / "build" / "src"
_LINK = _BASE / "ansible_collections" / "virter" / "core"

if not _LINK.is_symlink():
    _LINK.parent.mkdir(parents=True, exist_ok=True)
    _LINK.symlink_to(ROOT)
sys.path.insert(0, str(_BASE))
