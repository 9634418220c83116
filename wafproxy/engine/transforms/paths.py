"""Paths: NORMALIZE_PATH, NORMALIZE_PATH_WIN.

AWS: "remove multiple slashes, directory self-references, and directory back-references that are
not at the beginning of the input". So ``//`` -> ``/``, ``/./`` -> ``/``, ``a/b/../c`` -> ``a/c``;
a relative path keeps its leading ``..`` (``../../etc/passwd`` is unchanged: that is the attack
the rule wants to see), an absolute path cannot climb above ``/`` (``/../etc`` -> ``/etc``). A
trailing slash is kept (``/a/b/`` stays a directory). Unlike ``posixpath.normpath`` nothing is
added (``""`` stays ``""``, never ``"."``).
NORMALIZE_PATH_WIN first turns every ``\\`` into ``/``.
"""

from __future__ import annotations

from ._registry import register


@register("NORMALIZE_PATH")
def normalize_path(value: str) -> str:
    """``"/a//b/./c/../d/"`` -> ``"/a/b/d/"``; ``"../x/./y"`` -> ``"../x/y"``."""
    if "/" not in value and value not in (".", ".."):
        return value
    absolute = value.startswith("/")
    trailing = value.endswith("/") or value.endswith("/.") or value.endswith("/..")
    out: list[str] = []
    for part in value.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not absolute:
                out.append("..")
            continue
        out.append(part)
    path = "/".join(out)
    if absolute:
        path = "/" + path
    if trailing and out:
        path += "/"
    return path


@register("NORMALIZE_PATH_WIN")
def normalize_path_win(value: str) -> str:
    """``"C:\\\\a\\\\..\\\\windows\\\\\\\\system32"`` -> ``"C:/windows/system32"``."""
    return normalize_path(value.replace("\\", "/"))
