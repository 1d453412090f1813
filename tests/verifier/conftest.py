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
    """The default vector bundle (the scenic spot's south gate), loaded at T0."""
    from huicui_verifier.bundle import load

    return load(
        gen.make_bundle(),
        pinned_key=gen.raw_key(gen.BUNDLE_SIGNER),
        held_version=None,
        now=gen.at(gen.T0),
    )


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

        def bundle(self, **over):
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
            return gen.make_bundle(**fields)

        def cert(self, **over):
            fields = {"iat": self.now - 30 * gen.DAY, "exp": self.now + 300 * gen.DAY}
            fields.update(over)
            return gen.make_cert(**fields)

    return Live()


@pytest.fixture
def enrolled_home(home, gen, live):
    """A home holding a live bundle for the bus venue, pinned to the vector bundle key."""
    from huicui_verifier.bundle import load
    from huicui_verifier.device import DeviceHome

    data = live.bundle()
    DeviceHome(home).save_bundle(
        load(data, pinned_key=None, held_version=None, now=gen.at(live.now))
    )
    return home
