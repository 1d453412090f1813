"""The live card's JavaScript: its unit tests pass under node, and the files the service
serves are exactly what its sources build to."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

HOLDER = Path(__file__).resolve().parents[2] / "verifier" / "web" / "holder"


@pytest.fixture(scope="module")
def node() -> str:
    path = shutil.which("node")
    if path is None:
        pytest.skip("node is not installed; the holder page's scripts need Node 18+")
    if not (HOLDER / "node_modules" / "esbuild").is_dir():
        pytest.skip("run `npm ci` in verifier/web/holder to build and test the holder page")
    return path


def test_the_phone_writes_hb2_as_the_reference_does(node):
    proc = subprocess.run(
        [node, "--test", "test/"], cwd=HOLDER, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_served_scripts_are_built_from_the_sources(node):
    proc = subprocess.run(
        [node, "build.mjs", "--check"], cwd=HOLDER, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
