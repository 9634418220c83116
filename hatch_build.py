"""The wheel's build hook: an installed wafproxy runs its hot modules compiled by mypyc (issue 11).

``pip install .``, ``pip wheel .``, an install from the sdist and the container image compile the
modules ``wafproxy/compiled.py`` lists (``MODULES``) with mypyc into C extensions, shipped beside the
``.py`` files they are built from: the served default-ACL GET answers ~1.6x the requests per second of
pure Python. As aiohttp, msgpack and PyYAML do it: compiled is the default, pure Python the fallback,
and an install never fails because the compile did. ``WAFPROXY_COMPILE``, read when the wheel is built:

- unset (or empty): compile when this machine can (a C compiler and Python's headers; Debian:
  ``gcc python3-dev``). When it cannot, or mypyc or the compiler fails, the hook warns in one line why
  and how to get the compiled build, and the wheel is pure Python (``py3-none-any``) carrying that
  line (``compiled.BUILD_NOTE``): ``wafproxy version`` and the start-up log repeat it, because pip
  shows a build's warnings only with ``-v``.
- ``0``: pure Python without trying; the build needs nothing beyond hatchling.
- ``1``: compile or fail the build, for CI and image builds that must not ship pure Python unnoticed.

Editable installs (``pip install -e .``: the README's commands, CI) never compile and never fetch mypy:
they run the checkout's ``.py`` files, which extensions built in place would shadow (a developer's
edits would silently not run). ``python hatch_build.py --inplace`` builds those in-place extensions on
purpose (to measure the compiled build), ``--clean`` removes them.

Build requirements: a wheel that is to be compiled asks for ``mypy`` and ``setuptools``
(``dependencies()``; pip installs them into its isolated build environment), and only when this
machine has a compiler and headers (unset) or when compiling is required (``1``). hatchling asks the
hook the same question for wheels and editables, with no version (``builders/config.py``,
``dynamic_dependencies``); the PEP 660 entry point the frontend called,
``get_requires_for_build_editable``, on the call stack tells them apart. The compile costs ~1 min of
CPU on 2 idle cores (mypy type-checks the modules, then one C file each); a one-line extension is
compiled first, so a broken toolchain fails in a second, not after mypy's minute.
"""

from __future__ import annotations

import ast
import os
import shlex
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # run as a script (``--inplace``), outside a build
    BuildHookInterface = object  # type: ignore[assignment,misc]

ENV = "WAFPROXY_COMPILE"
MODES = ("", "0", "1")  # compile when possible (the default), pure Python, compile or fail
BUILD_REQUIRES = ["mypy>=1.10", "setuptools>=61"]
ROOT = Path(__file__).resolve().parent
MODULE_LIST = Path("wafproxy") / "compiled.py"
GROUP = "wafproxy"  # mypyc's shared runtime becomes the top-level module ``wafproxy__mypyc``
HOW = "install a C compiler and Python's headers (Debian: apt-get install gcc python3-dev) and reinstall"
PROBE_C = "#include <Python.h>\nPyMODINIT_FUNC PyInit_wafproxy_probe(void) { return NULL; }\n"
_EDITABLE_HOOKS = frozenset({"get_requires_for_build_editable", "build_editable"})


class CannotCompile(Exception):
    """This machine cannot build C extensions for this Python (said before trying)."""


def compile_mode() -> str:
    """``WAFPROXY_COMPILE``: ``""`` (unset), ``"0"`` or ``"1"``; anything else is a typo, refused."""
    mode = os.environ.get(ENV, "").strip()
    if mode not in MODES:
        raise ValueError(f"{ENV}={mode!r}: use 1 (compile or fail), 0 (pure Python) or leave it unset "
                         "(compile when possible)")
    return mode


def _literal(root: Path, name: str) -> Any:
    """A module-level literal of ``wafproxy/compiled.py``, read without importing the package."""
    for node in ast.parse((root / MODULE_LIST).read_text()).body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == name:
            return ast.literal_eval(node.value)  # type: ignore[arg-type]
    raise RuntimeError(f"{MODULE_LIST}: no {name}")


def compiled_modules(root: Path = ROOT) -> list[str]:
    """``MODULES`` of ``wafproxy/compiled.py``."""
    return list(_literal(root, "MODULES"))


def missing_toolchain() -> str | None:
    """Why this machine cannot build C extensions for this Python (no compiler, no headers), or None.
    The compiler is the one setuptools' ``build_ext`` will run: ``$CC``, else Python's own ``CC``."""
    compiler = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    program = (shlex.split(compiler) or ["cc"])[0]
    if shutil.which(program) is None:
        return f"no C compiler ({program} not found)"
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not headers.is_file():
        return f"no Python headers ({headers} not found)"
    return None


def _building_editable() -> bool:
    """hatchling asks ``dependencies()`` without saying whether for a wheel or an editable: the PEP 660
    hook the frontend called (``hatchling.build.get_requires_for_build_editable``) is on the stack."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name in _EDITABLE_HOOKS:
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _source(root: Path, module: str) -> str:
    path = Path(*module.split("."))
    source = path.with_suffix(".py")
    return (source if (root / source).is_file() else path / "__init__.py").as_posix()


def _build_ext(extensions: list[Any], out: Path, *, inplace: bool = False) -> None:
    """setuptools' ``build_ext`` over ``extensions``: objects in ``out/temp``, modules in ``out/lib``."""
    from setuptools import Distribution  # a build requirement: imported only when compiling

    dist = Distribution({"name": "wafproxy", "ext_modules": extensions})
    command = dist.get_command_obj("build_ext")
    command.build_lib = str(out / "lib")  # type: ignore[attr-defined]
    command.build_temp = str(out / "temp")  # type: ignore[attr-defined]
    command.inplace = inplace  # type: ignore[attr-defined]
    command.parallel = os.cpu_count() or 1  # type: ignore[attr-defined]
    command.ensure_finalized()
    command.run()


def probe_compiler(out: Path) -> None:
    """Build a one-line extension with the compiler and flags ``build_ext`` will use: a broken
    toolchain fails here in a second rather than after mypy's minute of type-checking."""
    from setuptools import Extension

    out.mkdir(parents=True, exist_ok=True)
    source = out / "wafproxy_probe.c"
    source.write_text(PROBE_C)
    try:
        _build_ext([Extension("wafproxy_probe", [str(source)])], out)
    except Exception as exc:  # distutils' CompileError / LinkError name the whole command line
        compiler = os.environ.get("CC") or sysconfig.get_config_var("CC")
        raise CannotCompile(f"the C compiler ({compiler}) fails on a one-line extension "
                            f"({type(exc).__name__}; pip -v shows its output)") from exc


def build_extensions(root: Path, out: Path, *, inplace: bool = False) -> list[Path]:
    """mypyc-compile ``compiled_modules()`` into ``out/lib`` (or beside the sources); the files built."""
    from mypyc.build import mypycify  # a build requirement: imported only when compiling

    here = os.getcwd()
    os.chdir(root)  # mypy resolves ``wafproxy.…`` imports from the project root
    try:
        sources = [_source(root, m) for m in compiled_modules(root)]
        options = [
            # Type errors in modules not compiled do not matter here; one in a compiled module stops
            # the compile (and the wheel is pure Python, or the build fails).
            "--follow-imports=silent",
            # The same C code wherever it is built: mypy would otherwise read the types of whatever
            # the interpreter's site-packages hold (it ignores pip's build isolation), so a wheel
            # built in a fresh venv and one built where the dependencies are installed would differ.
            # Third-party modules are ``Any`` to mypyc (generic calls either way).
            "--no-site-packages", "--ignore-missing-imports", "--cache-dir", str(out / "mypy"),
        ]
        extensions = mypycify([*options, *sources], opt_level="3", group_name=GROUP,
                              target_dir=str(out / "c"))
        _build_ext(extensions, out, inplace=inplace)
    finally:
        os.chdir(here)
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    return sorted((root if inplace else out / "lib").rglob(f"*{suffix}"))


def _reason(exc: BaseException) -> str:
    """One line on why compiling failed (the tool's own output, printed above, has the details)."""
    if isinstance(exc, SystemExit):
        return f"mypyc stopped with exit status {exc.code}"
    if isinstance(exc, ImportError):
        return f"{exc.name or 'mypy'} is not installed in the build environment"
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else ""
    return text if isinstance(exc, CannotCompile) else f"{type(exc).__name__}: {text}"[:300]


def _advice(exc: BaseException) -> str:
    """How to get the compiled build after ``exc``."""
    if isinstance(exc, CannotCompile):
        return HOW
    if isinstance(exc, ImportError):  # --no-build-isolation without the build requirements
        return f"install {' and '.join(BUILD_REQUIRES)} where the wheel is built"
    return "pip install -v shows why (please report it)"


class CompileHook(BuildHookInterface):  # type: ignore[type-arg]
    """hatchling's ``custom`` build hook (``[tool.hatch.build.targets.wheel.hooks.custom]``)."""

    PLUGIN_NAME = "custom"

    def dependencies(self) -> list[str]:
        mode = compile_mode()
        if mode == "0" or _building_editable() or (mode == "" and missing_toolchain()):
            return []
        return list(BUILD_REQUIRES)

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        self._tmp: Path | None = None
        mode = compile_mode()
        if version == "editable":
            return  # runs the checkout's .py files (see the module's docstring)
        self._tmp = Path(tempfile.mkdtemp(prefix="wafproxy-mypyc-"))
        if mode == "0":
            self._ship_pure(build_data, f"built with {ENV}=0")
            return
        try:
            why = missing_toolchain()
            if why:
                raise CannotCompile(why)
            probe_compiler(self._tmp / "probe")
            built = build_extensions(Path(self.root), self._tmp)
        except (Exception, SystemExit) as exc:  # mypyc exits on a type error; distutils raises
            if mode == "1":
                raise RuntimeError(f"{ENV}=1 but compiling failed: {_reason(exc)}") from exc
            how = _advice(exc)
            self.app.display_warning(
                f"wafproxy: cannot compile ({_reason(exc)}), building pure Python (slower): for the "
                f"compiled build, {how}; {ENV}=0 builds pure Python without trying")
            self._ship_pure(build_data, f"the build could not compile: {_reason(exc)}; {how}")
            return
        lib = self._tmp / "lib"
        for path in built:
            build_data["force_include"][str(path)] = path.relative_to(lib).as_posix()
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        self.app.display_info(f"wafproxy: {len(built) - 1} modules compiled with mypyc")

    def _ship_pure(self, build_data: dict[str, Any], why: str) -> None:
        """A pure-Python wheel, carrying why it is one (``compiled.BUILD_NOTE``)."""
        assert self._tmp is not None
        note = self._tmp / "build-note"
        note.write_text(why + "\n")
        build_data["force_include"][str(note)] = f"wafproxy/{_literal(Path(self.root), 'BUILD_NOTE')}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)


def _main(argv: list[str]) -> int:
    """``--inplace``: build the extensions into the checkout; ``--clean``: remove them."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    if argv == ["--clean"]:
        for path in [*ROOT.glob(f"{GROUP}__mypyc*{suffix}"), *(ROOT / "wafproxy").rglob(f"*{suffix}")]:
            path.unlink()
        return 0
    if argv == ["--inplace"]:
        with tempfile.TemporaryDirectory(prefix="wafproxy-mypyc-") as tmp:
            build_extensions(ROOT, Path(tmp), inplace=True)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
