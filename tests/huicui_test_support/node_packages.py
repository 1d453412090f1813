"""Node.js and a folder's locked npm packages, for the tests of the JavaScript parts.

Node and npm are Debian's packages (``apt-get install nodejs npm``). Without them the
tests that need them skip and say why, unless ``HUICUI_REQUIRE_NODE=1`` (CI), which makes
that a failure: CI must run every JavaScript test, not skip it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest


def unavailable(reason: str):
    """Skip with ``reason``, or fail when ``HUICUI_REQUIRE_NODE=1``."""
    if os.environ.get("HUICUI_REQUIRE_NODE") == "1":
        pytest.fail(reason + " and HUICUI_REQUIRE_NODE=1 makes that a failure")
    pytest.skip(reason)


def locked_packages_installed(folder: Path) -> bool:
    """True when ``folder/node_modules`` holds exactly the versions its lock file names."""
    lock = json.loads((folder / "package-lock.json").read_text("utf-8"))
    for path, entry in lock["packages"].items():
        if not path or entry.get("optional"):
            continue
        manifest = folder / path / "package.json"
        if not manifest.exists():
            return False
        if json.loads(manifest.read_text("utf-8")).get("version") != entry.get("version"):
            return False
    return True


def node_with_packages(folder: Path) -> str:
    """The node executable, after ``npm ci`` in ``folder`` when its packages are missing."""
    path = shutil.which("node")
    if path is None:
        unavailable("Node.js is not installed (apt-get install nodejs npm)")
    if not locked_packages_installed(folder):
        npm = shutil.which("npm")
        if npm is None:
            unavailable("npm is not installed (apt-get install npm)")
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            unavailable(f"npm ci failed in {folder.name}:\n{done.stderr[-2000:]}")
    return path
