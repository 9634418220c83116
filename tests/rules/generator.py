"""The managed rule groups' generator (``rules/managed/generate.py``), loaded as a module for tests.

``rules/managed`` is not a package (its modules import each other by bare name, as the script does
when run), so it is put on ``sys.path`` only while ``generate`` and its sources load.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

MANAGED = Path(__file__).resolve().parents[2] / "rules" / "managed"


def load_generator() -> ModuleType:
    sys.path.insert(0, str(MANAGED))
    try:
        spec = importlib.util.spec_from_file_location("generate", MANAGED / "generate.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(MANAGED))
