"""The architecture is executable: import-linter's contracts (in pyproject.toml) hold, and
no module grows past the size the team agreed on.

A new import cycle, a wrong-way import (a feature reaching into the clock's package, a
handler touching the tables) or a module nobody placed in a layer fails here, in CI,
instead of in review.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "schedules")
MAX_MODULE_LINES = 600


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


def test_import_contracts_are_kept():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if lint is None:
        pytest.skip("import-linter is not installed (it comes with the test extra)")
    result = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def _names(layers: list[str], prefix: str = "") -> set[str]:
    found = set()
    for layer in layers:
        for part in layer.replace("|", ":").split(":"):
            name = part.strip().strip("()")
            found.add(name if not prefix else f"{prefix}{name}")
    return found


def test_the_two_layer_contracts_place_the_same_modules():
    # "every-module-placed" is exhaustive (a new bot module must be listed there); the
    # cross-package "layers" contract must then list it too, or it would escape the
    # rule that features and core never import handlers, schedules or start-up.
    contracts = _contracts()
    across = {n for n in _names(contracts["layers"]["layers"]) if n.startswith("bot.")}
    inside = _names(contracts["every-module-placed"]["layers"], prefix="bot.")
    assert across == inside


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_is_over_the_size_limit(package):
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in (ROOT / package).rglob("*.py")
        if "migrations/versions" not in path.as_posix()
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not too_long, f"split these along their seams (limit {MAX_MODULE_LINES} lines): {too_long}"
