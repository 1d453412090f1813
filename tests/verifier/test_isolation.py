"""The verifier installs alone on a venue device: it must never import the server or plugins."""

import ast
from pathlib import Path

import huicui_verifier

PACKAGE = Path(huicui_verifier.__file__).parent
ALLOWED_THIRD_PARTY = {"cbor2", "cryptography", "msgspec", "zxingcpp", "PIL"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_every_subpackage_is_checked():
    # rglob, not glob: the kiosk (and any later subpackage) must be held to the same rules.
    checked = {p.relative_to(PACKAGE).parts[0] for p in PACKAGE.rglob("*.py")}
    assert "kiosk" in checked


def test_only_declared_dependencies_are_imported():
    import sys

    stdlib = set(sys.stdlib_module_names)
    for path in PACKAGE.rglob("*.py"):
        roots = imported_roots(path)
        assert "huicui" not in roots and "huicui_benefits" not in roots, path.name
        unexpected = roots - stdlib - ALLOWED_THIRD_PARTY - {"huicui_verifier", "__future__"}
        assert not unexpected, f"{path.name} imports {unexpected}"


def test_docstrings_on_public_functions():
    missing = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        assert ast.get_docstring(tree), f"{path.name} has no module docstring"
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                if not ast.get_docstring(node):
                    missing.append(f"{path.name}:{node.name}")
    assert not missing
