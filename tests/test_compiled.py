"""The optional compiled build (issue 11): which implementation runs, and that both decide alike.

``WAFPROXY_COMPILE=1 pip wheel .`` compiles ``wafproxy.compiled.MODULES`` with mypyc
(``hatch_build.py``); ``WAFPROXY_PURE_PYTHON=1`` loads their ``.py`` files even where the extensions
are installed. Every check runs a child interpreter (the switch is read at import): it prints which
implementation it loaded, then ``repr(Decision)`` for a fixture table (the bench requests and every
should-block / should-pass payload of ``tests/rules`` in every placement) against the default web
ACL and the same ACL with every managed rule set to Count (so each decision carries the evidence of
every rule that matched).

The slow tests build real wheels: one compiled (needs a C compiler, and mypy from PyPI in pip's
isolated build environment), one with ``WAFPROXY_COMPILE=1`` but a compiler that fails (the build
must still succeed, as pure Python).
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import wafproxy.compiled as compiled
from tests.support.servers import REPO

CHILD = r"""
import sys, tempfile
from pathlib import Path
from tests.engine.test_bench_default_acl import TRAFFIC
from tests.rules.cases import CASES
from tests.rules.test_managed_rules import PLACEMENTS, counting_acl, request_with
import wafproxy
from wafproxy.aclfiles import load_web_acl
from wafproxy.compiled import implementation, loaded
from wafproxy.engine import evaluate
from wafproxy.shipped import DEFAULT_ACL  # the package's own (an installed wheel's)

print(implementation(), Path(wafproxy.__file__).parent)
print(sorted(name for name, native in loaded().items() if not native))
table = list(TRAFFIC.items())
for case in CASES:
    for kind, payloads in (("block", case.block), ("allow", case.allow)):
        for i, payload in enumerate(payloads):
            for placement in PLACEMENTS:
                table.append((f"{case.rule_class}:{kind}{i}:{placement}",
                              request_with(payload, placement, case.rule_class)))
with tempfile.TemporaryDirectory() as tmp:
    acls = (("default", load_web_acl(DEFAULT_ACL)), ("counting", counting_acl(Path(tmp))))
for name, acl in acls:
    for case_id, request in table:
        print(name, case_id, repr(evaluate(acl, request)))
"""


def _child(path: list[Path], *, pure: bool) -> tuple[str, Path, str, list[str]]:
    """(implementation, package directory, modules not compiled, decision lines) of a child run
    (its working directory is the first path entry: `python -c` puts it first on sys.path)."""
    env = {k: v for k, v in os.environ.items() if k not in ("WAFPROXY_PURE_PYTHON", "PYTHONPATH")}
    env["PYTHONPATH"] = os.pathsep.join(map(str, path))
    if pure:
        env["WAFPROXY_PURE_PYTHON"] = "1"
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, cwd=path[0], capture_output=True,
                         text=True, timeout=600, check=True).stdout.splitlines()
    kind, package = out[0].split(" ", 1)
    return kind, Path(package), out[1], out[2:]


def test_the_module_list_names_real_modules_and_the_build_reads_the_same_list() -> None:
    for name in compiled.MODULES:
        path = REPO / Path(*name.split("."))
        assert path.with_suffix(".py").is_file() or (path / "__init__.py").is_file(), name
    sys.path.insert(0, str(REPO))
    try:
        import hatch_build  # the build hook (hatchling is optional here: it only defines the class)
    finally:
        sys.path.remove(str(REPO))
    assert hatch_build.compiled_modules() == list(compiled.MODULES)
    # the hook reads the tuple literally: it must stay a literal
    tree = ast.parse((REPO / "wafproxy" / "compiled.py").read_text())
    assert any(isinstance(n, ast.AnnAssign) and getattr(n.target, "id", "") == "MODULES" for n in tree.body)


def test_pure_switch_loads_every_module_from_its_source() -> None:
    kind, package, not_compiled, lines = _child([REPO], pure=True)
    assert kind == "pure"
    assert package == REPO / "wafproxy"
    assert not_compiled == str(sorted(compiled.MODULES))
    assert len(lines) > 1000 and lines[0].startswith("default SimpleGET Decision(")


def _wheel(out: Path, **env: str) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q",
                    "-w", str(out), str(REPO)], check=True, timeout=1500, env={**os.environ, **env})
    (built,) = out.glob("wafproxy-*.whl")
    return built


def _can_compile() -> bool:
    """A C compiler and this Python's headers (Debian: ``python3-dev``), as the build needs."""
    return shutil.which("cc") is not None and (Path(sysconfig.get_paths()["include"]) / "Python.h").is_file()


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.skipif(not _can_compile(), reason="no C compiler or Python headers: the build would be pure")
def test_compiled_wheel_carries_extensions_and_sources_and_decides_like_pure(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path / "wheelhouse", WAFPROXY_COMPILE="1")
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    assert wheel.name.startswith(f"wafproxy-0.1.0-{tag}-{tag}-"), wheel.name  # a platform wheel
    names = set(zipfile.ZipFile(wheel).namelist())
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    for name in compiled.MODULES:
        stem = "/".join(name.split("."))
        assert {f"{stem}{suffix}", f"{stem}/__init__{suffix}"} & names, name  # the extension ...
        assert {f"{stem}.py", f"{stem}/__init__.py"} & names, name  # ... and its source
    assert f"wafproxy__mypyc{suffix}" in names  # mypyc's shared runtime, at the top level
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    kind, package, not_compiled, native_lines = _child([site, REPO], pure=False)
    assert (kind, package, not_compiled) == ("compiled", site / "wafproxy", "[]")
    kind, package, _, pure_lines = _child([site, REPO], pure=True)
    assert (kind, package) == ("pure", site / "wafproxy")
    assert native_lines == pure_lines


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_a_failed_compile_still_builds_the_pure_wheel(tmp_path: Path) -> None:
    """No working C compiler (``CC=false``): the build warns and ships pure Python."""
    wheel = _wheel(tmp_path / "wheelhouse", WAFPROXY_COMPILE="1", CC="false")
    assert wheel.name == "wafproxy-0.1.0-py3-none-any.whl"
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.endswith((".so", ".pyd"))]
    assert "wafproxy/engine/context.py" in names


def test_the_container_build_stage_has_the_build_hook() -> None:
    """pyproject names ``hatch_build.py`` as the wheel's build hook: a build without it fails."""
    dockerfile = (REPO / "Dockerfile").read_text()
    copies = [line.split()[1:-1] for line in dockerfile.splitlines() if line.startswith("COPY ")]
    assert any("hatch_build.py" in sources and "pyproject.toml" in sources for sources in copies)
