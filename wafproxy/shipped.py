"""Where the rules wafproxy ships live: the one answer, for a wheel and for a source checkout.

The repository keeps them in ``rules/`` (the default web ACL, its IP sets, and the managed rule
groups' generated JSON in ``rules/managed/``). A wheel carries that tree *inside the package* as
``wafproxy/rules/`` (pyproject's wheel ``sources`` mapping), so an installed wafproxy finds it
through ``importlib.resources`` like any package data, wherever site-packages is. An editable
install or a checkout runs the package from the source tree, where ``wafproxy/rules/`` does not
exist and ``rules/`` sits beside the package instead. Everything that needs a shipped file asks
here (``aclfiles`` for managed groups, ``settings`` for the default ACL), never ``__file__``.

The package must be installed as files (pip does that); a zipped install cannot serve the rules
from a directory walk, and says so.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

__all__ = ["DEFAULT_ACL", "MANAGED_DIR", "RULES_DIR", "rules_dir"]


def rules_dir() -> Path:
    """The directory holding ``default-web-acl.json``, ``ipsets/`` and ``managed/``."""
    packaged = importlib.resources.files("wafproxy").joinpath("rules")
    if packaged.is_dir():
        if not isinstance(packaged, Path):
            raise RuntimeError(f"wafproxy is installed zipped ({packaged}): install it as files (pip)")
        return packaged
    # Editable install or source checkout: the repository's rules/, next to the package.
    return Path(__file__).resolve().parent.parent / "rules"


RULES_DIR = rules_dir()
MANAGED_DIR = RULES_DIR / "managed"
DEFAULT_ACL = RULES_DIR / "default-web-acl.json"
