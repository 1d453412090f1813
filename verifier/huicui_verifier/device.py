"""What a device keeps between runs, in one folder (``HUICUI_VERIFIER_HOME``).

``device.json`` (server, pinned bundle key, held version, enrolled venue, ETag, when the
device last checked with the service), ``token`` (mode 0600),
``bundle.cbor`` (the held bundle, re-verified at every start so a swapped file is
noticed) and ``log.sqlite`` (the decision log). Files are replaced atomically so a power
cut leaves either the old state or the new, never half of one.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from .bundle import Bundle, BundleError, load
from .log import DecisionLog

__all__ = ["ENV_HOME", "DeviceHome", "default_home"]

ENV_HOME = "HUICUI_VERIFIER_HOME"


def default_home() -> Path:
    """``$HUICUI_VERIFIER_HOME``, else ``~/.local/share/huicui-verifier``."""
    env = os.environ.get(ENV_HOME)
    return Path(env) if env else Path.home() / ".local" / "share" / "huicui-verifier"


def _write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class DeviceHome:
    """The device's state folder."""

    def __init__(self, path: str | Path | None = None) -> None:
        """Use ``path`` (default :func:`default_home`), creating it private to this user."""
        self.path = Path(path) if path is not None else default_home()
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)

    @property
    def _state_file(self) -> Path:
        return self.path / "device.json"

    @property
    def bundle_file(self) -> Path:
        """Where the held bundle is kept."""
        return self.path / "bundle.cbor"

    @property
    def token_file(self) -> Path:
        """Where the device token is kept (mode 0600)."""
        return self.path / "token"

    def state(self) -> dict:
        """The small JSON state: server, pinned_key (hex), bundle_version, venue_id, etag,
        checked_at (last answer from the service, epoch seconds) and loaded_at (last bundle
        taken from a file)."""
        try:
            return json.loads(self._state_file.read_text("utf-8"))
        except FileNotFoundError:
            return {}

    def update_state(self, **changes: object) -> dict:
        """Merge ``changes`` into the state and write it atomically."""
        state = {**self.state(), **changes}
        _write_atomic(self._state_file, json.dumps(state, indent=2, sort_keys=True).encode())
        return state

    @property
    def pinned_key(self) -> bytes | None:
        """The pinned bundle key, or None before enrollment."""
        key = self.state().get("pinned_key")
        return bytes.fromhex(key) if key else None

    @property
    def server(self) -> str | None:
        """The server URL given at enrollment."""
        return self.state().get("server")

    @property
    def token(self) -> str | None:
        """The device token, or None."""
        try:
            return self.token_file.read_text("utf-8").strip() or None
        except FileNotFoundError:
            return None

    def set_token(self, token: str) -> None:
        """Store the device token readable by this user only."""
        _write_atomic(self.token_file, token.encode(), mode=0o600)

    def save_bundle(
        self,
        bundle: Bundle,
        *,
        etag: str | None = None,
        checked_at: int | None = None,
        loaded_at: int | None = None,
    ) -> None:
        """Keep ``bundle`` as the held one (the bytes first, then the state that names it).

        The bundle's venue becomes the one the device is enrolled at: callers reach here
        only through enrollment or a load that :func:`bundle.load` held to that venue.
        ``checked_at`` is when the service answered (enroll, sync), ``loaded_at`` when
        the bundle came from a file instead.
        """
        _write_atomic(self.bundle_file, bundle.raw)
        changes: dict[str, object] = {
            "pinned_key": bundle.payload.bundle_key.hex(),
            "bundle_version": bundle.version,
            "venue_id": bundle.venue.id,
            "etag": etag,
        }
        if checked_at is not None:
            changes["checked_at"] = checked_at
        if loaded_at is not None:
            changes["loaded_at"] = loaded_at
        self.update_state(**changes)

    def mark_checked(self, at: int) -> None:
        """Record that the service answered at ``at`` (epoch seconds), e.g. with a 304."""
        self.update_state(checked_at=at)

    def enrolled_venue(self, now: datetime) -> int | None:
        """The venue this device is enrolled at, or None before enrollment.

        Devices enrolled before the venue was recorded take it from the bundle they hold.
        """
        venue = self.state().get("venue_id")
        if venue is None:
            try:
                held = self.held_bundle(now)
            except BundleError:
                held = None
            venue = held.venue.id if held is not None else None
        return venue

    def held_bundle(self, now: datetime) -> Bundle | None:
        """The held bundle, verified again against the pinned key; None if there is none.

        Raises :class:`~huicui_verifier.bundle.BundleError` if the file no longer
        verifies (it was changed behind the verifier's back).
        """
        pinned = self.pinned_key
        if pinned is None or not self.bundle_file.exists():
            return None
        # The recorded version also stops an older (validly signed) file being swapped in.
        state = self.state()
        return load(
            self.bundle_file.read_bytes(),
            pinned_key=pinned,
            held_version=state.get("bundle_version"),
            enrolled_venue=state.get("venue_id"),
            now=now,
        )

    def open_log(self) -> DecisionLog:
        """Open this device's decision log."""
        return DecisionLog(self.path / "log.sqlite")
