"""Fixtures for the verifier tests: the vector generator doubles as the fixture kit."""

from __future__ import annotations

from pathlib import Path

import pytest
from huicui_test_support import vectors_kit

kit = vectors_kit()


@pytest.fixture
def gen():
    """The generator module: keys, times, builders."""
    return kit


@pytest.fixture
def scenic(gen):
    """The default vector bundle (the scenic spot's south gate): snapshot, profile, heartbeat."""
    return gen.make_bundle()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh verifier home folder."""
    path = tmp_path / "verifier-home"
    path.mkdir()
    return path


@pytest.fixture
def live(gen):
    """Builders valid around the real clock, for tests that run the CLI (which reads the clock)."""
    import time

    class Live:
        now = int(time.time())

        def files(self, **over):
            fields = {
                "iat": self.now - gen.DAY,
                "exp": self.now + 6 * gen.DAY,
                "venue": {
                    "id": 301,
                    "kind": "bus",
                    "name_zh": "3路公交",
                    "name_en": "Bus line 3",
                    "benefits": (3,),
                },
            }
            fields.update(over)
            return gen.make_files(**fields)

        def cert(self, **over):
            fields = {"iat": self.now - 30 * gen.DAY, "exp": self.now + 300 * gen.DAY}
            fields.update(over)
            return gen.make_cert(**fields)

    return Live()


@pytest.fixture
def enrolled_home(home, gen, live):
    """A home holding live data for the bus venue, pinned to the vector bundle key."""
    return gen.install(home, live.files(), now=live.now)
