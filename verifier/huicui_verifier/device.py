"""What a device keeps between runs, in one folder (``HUICUI_VERIFIER_HOME``).

``device.json`` (server or folder, pinned bundle key, the program and venue enrolled for,
held version and snapshot hash, ETags), ``token`` (mode 0600), ``snapshot.cbor`` (the
held snapshot's payload bytes, checked against the recorded hash at every start),
``heartbeat.cbor`` and ``profile.cbor`` (signed files, verified again at every start)
and ``log.sqlite`` (the decision log). Files are replaced atomically, the data before the
state that names it, so a power cut leaves either the old data or the new.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from .bundle import Bundle, BundleError, assemble, check_enrolled, decode_map, from_map, open_file
from .catchup import CatchUp, Held
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
    def snapshot_file(self) -> Path:
        """The held snapshot's payload bytes."""
        return self.path / "snapshot.cbor"

    @property
    def heartbeat_file(self) -> Path:
        """The last heartbeat taken (signed)."""
        return self.path / "heartbeat.cbor"

    @property
    def profile_file(self) -> Path:
        """The venue profile held (signed)."""
        return self.path / "profile.cbor"

    @property
    def token_file(self) -> Path:
        """Where the device token is kept (mode 0600)."""
        return self.path / "token"

    def state(self) -> dict:
        """The small JSON state (see the module docstring)."""
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

    def held(self) -> Held | None:
        """The held snapshot, its bytes checked against the recorded hash; None if none.

        Raises :class:`~huicui_verifier.bundle.BundleError` (``hash_mismatch``) when the
        file changed behind the verifier's back.
        """
        state = self.state()
        if not state.get("snapshot_hash") or not self.snapshot_file.exists():
            return None
        data = self.snapshot_file.read_bytes()
        obj = decode_map(data)
        held = Held.from_payload(data, obj, from_map(obj, "snapshot"))
        if held.hash.hex() != state["snapshot_hash"]:
            raise BundleError("hash_mismatch", "snapshot.cbor is not the snapshot recorded")
        return held

    def save(self, caught: CatchUp, *, profile_name: str | None = None, **extra: object) -> None:
        """Keep what a catch-up brought: data files first, then the state that names them."""
        changes: dict[str, object] = dict(extra)
        if caught.held is not None:
            _write_atomic(self.snapshot_file, caught.held.payload_bytes)
            snap = caught.held.snapshot
            changes.update(
                program=snap.program,
                snapshot_version=snap.version,
                snapshot_hash=caught.held.hash.hex(),
            )
        if caught.pinned_key is not None:
            changes["pinned_key"] = caught.pinned_key.hex()
        if caught.heartbeat is not None:
            _write_atomic(self.heartbeat_file, caught.heartbeat)
            changes["heartbeat_etag"] = caught.heartbeat_etag
        if caught.profile is not None:
            _write_atomic(self.profile_file, caught.profile)
            profile = open_file(
                caught.profile, "profile", pinned_key=caught.pinned_key or self.pinned_key
            ).payload
            changes.update(venue=profile.id, profile_rev=profile.rev)
            changes["profile_etag"] = caught.profile_etag
        if profile_name is not None:
            changes["profile_name"] = profile_name
        self.update_state(**changes)

    def mark_checked(self, at: int) -> None:
        """Record that the service answered at ``at`` (epoch seconds), e.g. with a 304."""
        self.update_state(checked_at=at)

    def enrolled_venue(self) -> int | None:
        """The venue this device is enrolled at, or None before enrollment.

        Devices whose state does not record it take it from the profile they hold.
        """
        venue = self.state().get("venue")
        pinned = self.pinned_key
        if venue is None and pinned is not None and self.profile_file.exists():
            try:
                venue = open_file(
                    self.profile_file.read_bytes(), "profile", pinned_key=pinned
                ).payload.id
            except BundleError:
                venue = None
        return venue

    def held_bundle(self, now: datetime | None = None) -> Bundle | None:
        """The held data as the decision reads it, verified again; None if there is none.

        Raises :class:`~huicui_verifier.bundle.BundleError` if a file no longer verifies
        (it was changed behind the verifier's back). ``now`` is accepted for callers that
        pass it; freshness is judged at each decision.
        """
        pinned = self.pinned_key
        if pinned is None or not self.profile_file.exists():
            return None
        held = self.held()
        if held is None:
            return None
        state = self.state()
        profile = open_file(self.profile_file.read_bytes(), "profile", pinned_key=pinned).payload
        check_enrolled(profile, program=state.get("program"), venue=state.get("venue"))
        heartbeat = None
        if self.heartbeat_file.exists():
            heartbeat = open_file(
                self.heartbeat_file.read_bytes(), "heartbeat", pinned_key=pinned
            ).payload
        return assemble(
            held.snapshot,
            held.hash,
            profile,
            heartbeat,
            revoked=held.revoked,
            latest_version=state.get("latest_version"),
        )

    def open_log(self) -> DecisionLog:
        """Open this device's decision log."""
        return DecisionLog(self.path / "log.sqlite")
