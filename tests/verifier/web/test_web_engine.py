"""The JavaScript engine (verifier/web) is held to the vectors, and its committed build
to its sources."""

from __future__ import annotations

import subprocess
from pathlib import Path

WEB = Path(__file__).resolve().parents[3] / "verifier" / "web"
WEBAPP = WEB.parent / "huicui_verifier" / "webapp"


def test_node_suite_passes(node):
    """``node --test``: every published vector, the strict CBOR reader, the clock and policy."""
    done = subprocess.run(
        [node, "--test", "test/"], cwd=WEB, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout


def test_committed_build_matches_the_sources(node, tmp_path: Path):
    """Rebuilding with the locked esbuild gives the committed files, byte for byte."""
    done = subprocess.run(
        [node, "build.mjs", "--outdir", str(tmp_path)],
        cwd=WEB,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    built = {str(p.relative_to(tmp_path)): p.read_bytes() for p in tmp_path.rglob("*")
             if p.is_file()}
    # This build writes the engine at the top and the page under verify/; other folders
    # of webapp/ come from builds of their own.
    committed = {str(p.relative_to(WEBAPP)): p.read_bytes()
                 for p in [*WEBAPP.glob("*"), *(WEBAPP / "verify").rglob("*")] if p.is_file()}
    assert sorted(built) == sorted(committed), "run: make web"
    for name, data in built.items():
        assert committed[name] == data, f"webapp/{name} differs from its sources; run: make web"


def test_every_engine_module_is_documented_beside_its_python_twin():
    """The module table of docs/verifier-web.md names every engine module and its twin."""
    doc = (WEB.parents[1] / "docs" / "verifier-web.md").read_text("utf-8")
    modules = sorted(p.name for p in (WEB / "engine").glob("*.js") if p.name != "index.js")
    assert modules, "no engine modules"
    for name in modules:
        assert f"| `{name}` |" in doc, f"{name} is missing from docs/verifier-web.md"
        twin = WEB.parent / "huicui_verifier" / name.replace(".js", ".py")
        assert twin.exists() or name == "convert.js", f"{name} has no Python twin"
