"""Keeping the plugin contract honest: docs match hookspecs, every hook is tested,
the core names no benefit, plugins use only the public API."""

from __future__ import annotations

import ast
import inspect
import io
import re
import tokenize
from pathlib import Path

import pytest
from huicui.plugins import hookspecs

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
HOOKS = {
    name: fn for name, fn in vars(hookspecs).items()
    if name.startswith("huicui_") and callable(fn)
}


def signature_text(name: str, fn) -> str:
    sig = inspect.signature(fn)
    params = ", ".join(f"{p.name}: {p.annotation}" for p in sig.parameters.values())
    return f"def {name}({params}) -> {sig.return_annotation}"


def documented_signature(name: str) -> str:
    match = re.search(rf"^### {name}\n\n```python\n(def .*?)\n```", DOC, re.M | re.S)
    assert match, f"docs/plugins.md has no '### {name}' section with a signature block"
    return " ".join(match.group(1).split())


def test_there_are_hooks():
    assert set(HOOKS) >= {"huicui_benefits", "huicui_eligible", "huicui_route_handlers",
                          "huicui_piccolo_apps", "huicui_settlement_lines",
                          "huicui_redemptions_synced"}


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_every_hook_is_documented_with_its_real_signature(name):
    assert documented_signature(name) == signature_text(name, HOOKS[name])


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_every_hookspec_has_a_docstring(name):
    assert (HOOKS[name].__doc__ or "").strip()


def test_docs_document_no_hook_that_does_not_exist():
    documented = set(re.findall(r"^### (huicui_\w+)$", DOC, re.M))
    assert documented == set(HOOKS)


def covered_hooks() -> dict[str, list[str]]:
    """Hook → tests decorated ``@covers(hook)`` anywhere under tests/."""
    found: dict[str, list[str]] = {}
    for path in (ROOT / "tests").rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for deco in node.decorator_list:
                if (isinstance(deco, ast.Call) and getattr(deco.func, "id", "") == "covers"):
                    for arg in deco.args:
                        assert node.name.startswith("test_"), f"{path}: {node.name}"
                        found.setdefault(arg.value, []).append(f"{path.name}::{node.name}")
    return found


def test_every_hook_has_a_test():
    covered = covered_hooks()
    missing = sorted(set(HOOKS) - set(covered))
    assert not missing, f"hooks without a @covers test: {missing}"
    assert not set(covered) - set(HOOKS), "a @covers names a hook that does not exist"


def code_tokens(path: Path) -> list[str]:
    """String literals and names of a module, without comments and docstrings."""
    source = path.read_text(encoding="utf-8")
    docstring_lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(
                    getattr(body[0], "value", None), ast.Constant) and isinstance(
                    body[0].value.value, str):
                docstring_lines.update(range(body[0].lineno, body[0].end_lineno + 1))
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (tokenize.STRING, tokenize.NAME) and tok.start[0] not in docstring_lines:
            out.append(tok.string)
        elif tok.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
            out.append(tok.string)
    return out


def test_core_names_no_particular_benefit():
    from huicui.plugins.manager import BenefitPlugins
    from huicui.settings import Settings
    from huicui.venues.kinds import GENERIC

    # Every installed plugin, found as the service finds them.
    benefits = BenefitPlugins.load(Settings()).benefits()
    assert len(benefits) == 11
    # Venue kinds too: they come from the plugins (huicui.venues.kinds); core names only
    # its generic kind.
    words = {b.slug for b in benefits} | {k for b in benefits for k in b.venue_kinds}
    words -= set(GENERIC)
    assert "hospital" in words and "counter" not in words
    word = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(sorted(words)) + r")(?![A-Za-z0-9_])")
    names_zh = [b.name_zh for b in benefits]
    core = ROOT / "core" / "huicui"
    found = []
    for path in sorted(core.rglob("*.py")):
        rel = path.relative_to(core).as_posix()
        for token in code_tokens(path):
            hits = set(word.findall(token))
            if hits or any(name in token for name in names_zh):
                found.append(f"{rel}: {token[:60]}")
    assert found == []


@pytest.mark.parametrize("folder", ["plugins/huicui_benefits", "tests/example_plugin",
                                    "tests/plugins/doc_examples"])
def test_plugins_import_only_the_public_plugin_api(folder):
    bad = []
    for path in (ROOT / folder).rglob("*.py"):
        if "piccolo_migrations" in path.parts or path.name.startswith("test_"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                core = name == "huicui" or name.startswith("huicui.")
                if core and name != "huicui.plugins.api":
                    bad.append(f"{path.relative_to(ROOT)}: {name}")
    assert bad == []


def test_each_builtin_benefit_is_its_own_entry_point():
    import importlib.metadata as md

    eps = [ep for ep in md.entry_points(group="huicui.benefits")
           if ep.dist.metadata["Name"] == "huicui-benefits"]
    assert sorted(ep.name for ep in eps) == sorted(
        ["scenic", "ferry", "bus", "vip_lane", "hotel", "workstation", "school", "medical",
         "housing", "training"])
    assert all(ep.value == f"huicui_benefits.{ep.name}" for ep in eps)
