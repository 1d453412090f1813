"""The verifier's public surface is pinned both ways, as httpx pins its own: every public
name of a public module is exported, every export exists, and the export lists are
exactly what ``docs/verifier.md`` documents. And the other distributions (the service,
the benefit plugins) import nothing else of ``huicui_verifier``."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import huicui_verifier
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "verifier" / "huicui_verifier"
DOC = ROOT / "docs" / "verifier.md"


def documented() -> dict[str, set[str]]:
    """Module -> names, from the table under "## Public surface" in docs/verifier.md."""
    text = DOC.read_text("utf-8")
    section = text.split("## Public surface", 1)[1].split("\n## ", 1)[0]
    table: dict[str, set[str]] = {}
    for line in section.splitlines():
        row = re.match(r"^\| `(\w+)` \| (.+) \|$", line)
        if row:
            table[row.group(1)] = set(re.findall(r"`(\w+)`", row.group(2)))
    return table


SURFACE = documented()


def _bound_here(module: str) -> tuple[set[str], set[str]]:
    """(names defined at the module's top level, names it imports), from its source."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text("utf-8"))
    defined: set[str] = set()
    imported: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        defined.add(name.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imported |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return defined, imported


def test_the_documented_modules_are_the_packages_list():
    assert tuple(SURFACE) == huicui_verifier.PUBLIC_MODULES
    for module in SURFACE:
        assert f"``{module}``" in huicui_verifier.__doc__


@pytest.mark.parametrize("module", list(SURFACE))
def test_exports_are_exactly_the_documented_names(module):
    mod = importlib.import_module(f"huicui_verifier.{module}")
    assert sorted(mod.__all__) == sorted(set(mod.__all__)), "an export listed twice"
    assert set(mod.__all__) == SURFACE[module]


@pytest.mark.parametrize("module", list(SURFACE))
def test_every_export_exists_and_every_public_name_is_exported(module):
    mod = importlib.import_module(f"huicui_verifier.{module}")
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.__all__ names {name}, which does not exist"
    defined, imported = _bound_here(module)
    public = {name for name in vars(mod) if not name.startswith("_")}
    for name in public:
        if name in defined:
            assert name in mod.__all__, f"{module}.{name} is public but not exported"
        else:  # what a module imports is its own business, unless it re-exports it
            assert name in imported, f"{module}.{name} appeared from nowhere"
    for name in defined & set(mod.__all__):
        assert not name.startswith("_")


def _verifier_uses(path: Path) -> list[tuple[str, str | None, int]]:
    """(module, name or None, line) for every use of huicui_verifier in one source file."""
    tree = ast.parse(path.read_text("utf-8"))
    uses: list[tuple[str, str | None, int]] = []
    aliases: dict[str, str] = {}  # local name -> verifier module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "huicui_verifier":
                for a in node.names:
                    aliases[a.asname or a.name] = a.name
                    uses.append((a.name, None, node.lineno))
            elif node.module.startswith("huicui_verifier."):
                module = node.module.split(".", 1)[1]
                uses += [(module, a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("huicui_verifier."):
                    uses.append((a.name.split(".", 1)[1], None, node.lineno))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        ):
            uses.append((aliases[node.value.id], node.attr, node.lineno))
    return uses


def test_the_service_and_the_plugins_import_only_the_documented_surface():
    found = 0
    for folder in ("core", "plugins"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for module, name, line in _verifier_uses(path):
                found += 1
                where = f"{path.relative_to(ROOT)}:{line}"
                assert module in SURFACE, f"{where} imports huicui_verifier.{module}"
                if name is not None:
                    assert name in SURFACE[module], f"{where} uses {module}.{name}"
    assert found >= 10  # the service does use the verifier: the walk must have seen it


def test_the_walk_catches_an_undocumented_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from huicui_verifier import cose, hb1\n"
        "from huicui_verifier.hb1 import _value_problem\n"
        "hb1.fast_decode('x')\ncose.sign(b'', None, b'')\n"
    )
    uses = _verifier_uses(bad)
    assert ("cose", None, 1) in uses and ("hb1", "_value_problem", 2) in uses
    assert ("hb1", "fast_decode", 3) in uses and ("cose", "sign", 4) in uses
    assert "cose" not in SURFACE and "_value_problem" not in SURFACE["hb1"]
