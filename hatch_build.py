"""Optional compiled build: ``WAFPROXY_COMPILE=1 pip wheel .`` (or ``pip install .``) compiles the hot
modules listed in ``wafproxy/compiled.py`` with mypyc into C extensions, shipped beside the ``.py``
files they are built from.

Why opt-in, and wheels only: compiling takes minutes of CPU on a small machine (~1 min on 2 idle
cores, mypy type-checks then one C file per module), which ``pip install -e .`` (every developer,
the README's test command in CI) must not pay, and an editable install runs the checkout's ``.py``
files anyway. Without ``WAFPROXY_COMPILE=1`` the build needs nothing beyond hatchling and the wheel
is pure Python (``py3-none-any``), exactly as before.

With it, the build asks for ``mypy`` and ``setuptools`` (the hook's ``dependencies``), needs a C
compiler and Python's headers, and tags the wheel for the interpreter that built it. If anything
fails (no compiler, a mypyc error), the hook warns and the wheel is the pure-Python one: an install
never fails because the compile did. ``python hatch_build.py --inplace`` builds the same extensions
into the checkout (benchmarks), ``--clean`` removes them.
"""

from __future__ import annotations

import ast
import os
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
ROOT = Path(__file__).resolve().parent
MODULE_LIST = Path("wafproxy") / "compiled.py"
GROUP = "wafproxy"  # mypyc's shared runtime becomes the top-level module ``wafproxy__mypyc``


def compiled_modules(root: Path = ROOT) -> list[str]:
    """``MODULES`` of ``wafproxy/compiled.py``, read without importing the package."""
    for node in ast.parse((root / MODULE_LIST).read_text()).body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "MODULES":
            return list(ast.literal_eval(node.value))  # type: ignore[arg-type]
    raise RuntimeError(f"{MODULE_LIST}: no MODULES tuple")


def _source(root: Path, module: str) -> str:
    path = Path(*module.split("."))
    source = path.with_suffix(".py")
    return (source if (root / source).is_file() else path / "__init__.py").as_posix()


def build_extensions(root: Path, out: Path, *, inplace: bool = False) -> list[Path]:
    """mypyc-compile ``compiled_modules()`` into ``out/lib`` (or beside the sources); the files built."""
    from mypyc.build import mypycify  # build requirements: imported only when compiling
    from setuptools import Distribution

    here = os.getcwd()
    os.chdir(root)  # mypy resolves ``wafproxy.…`` imports from the project root
    try:
        sources = [_source(root, m) for m in compiled_modules(root)]
        # Type errors in modules not compiled do not matter here (``--follow-imports=silent``); one
        # in a compiled module stops the compile (and the wheel is pure Python).
        options = ["--ignore-missing-imports", "--follow-imports=silent"]
        extensions = mypycify([*options, *sources], opt_level="3", group_name=GROUP,
                              target_dir=str(out / "c"))
        dist = Distribution({"name": "wafproxy", "ext_modules": extensions})
        command = dist.get_command_obj("build_ext")
        command.build_lib = str(out / "lib")  # type: ignore[attr-defined]
        command.build_temp = str(out / "temp")  # type: ignore[attr-defined]
        command.inplace = inplace  # type: ignore[attr-defined]
        command.parallel = os.cpu_count() or 1  # type: ignore[attr-defined]
        command.ensure_finalized()
        command.run()
    finally:
        os.chdir(here)
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    return sorted((root if inplace else out / "lib").rglob(f"*{suffix}"))


class CompileHook(BuildHookInterface):  # type: ignore[type-arg]
    """hatchling's ``custom`` build hook (``[tool.hatch.build.targets.wheel.hooks.custom]``)."""

    PLUGIN_NAME = "custom"

    def _wanted(self) -> bool:
        return os.environ.get(ENV, "") == "1"

    def dependencies(self) -> list[str]:
        return ["mypy>=1.10", "setuptools>=61"] if self._wanted() else []

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        self._tmp: Path | None = None
        if version == "editable" or not self._wanted():
            return
        self._tmp = Path(tempfile.mkdtemp(prefix="wafproxy-mypyc-"))
        try:
            built = build_extensions(Path(self.root), self._tmp)
        except (Exception, SystemExit) as exc:  # mypyc exits on a type error; distutils raises
            self.app.display_warning(f"{ENV}=1 but compiling failed ({exc!r}): the wheel is pure Python")
            return
        lib = self._tmp / "lib"
        for path in built:
            build_data["force_include"][str(path)] = path.relative_to(lib).as_posix()
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        self.app.display_info(f"{ENV}=1: {len(built) - 1} modules compiled with mypyc")

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
