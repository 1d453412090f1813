"""Fixtures for the JavaScript engine's tests: Node, and the locked npm packages.

Node and npm are Debian's packages (``apt-get install nodejs npm``). Without them these
tests skip and say why, unless ``HUICUI_REQUIRE_NODE=1`` (CI), which makes that a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[3] / "verifier" / "web"


def _unavailable(reason: str):
    if os.environ.get("HUICUI_REQUIRE_NODE") == "1":
        pytest.fail(reason + " and HUICUI_REQUIRE_NODE=1 makes that a failure")
    pytest.skip(reason)


def _locked_packages_installed() -> bool:
    """True when node_modules holds exactly the versions package-lock.json names."""
    lock = json.loads((WEB / "package-lock.json").read_text("utf-8"))
    for path, entry in lock["packages"].items():
        if not path or entry.get("optional"):
            continue
        manifest = WEB / path / "package.json"
        if not manifest.exists():
            return False
        if json.loads(manifest.read_text("utf-8")).get("version") != entry.get("version"):
            return False
    return True


@pytest.fixture(scope="session")
def node() -> str:
    """The node executable, with the locked npm packages installed in verifier/web."""
    path = shutil.which("node")
    if path is None:
        _unavailable("Node.js is not installed (apt-get install nodejs npm)")
    if not _locked_packages_installed():
        npm = shutil.which("npm")
        if npm is None:
            _unavailable("npm is not installed (apt-get install npm)")
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=WEB,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            _unavailable(f"npm ci failed in verifier/web:\n{done.stderr[-2000:]}")
    return path
