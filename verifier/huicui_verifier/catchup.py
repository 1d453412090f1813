"""Catching up: from the data a device holds to the latest, through any carrier of files.

The published files (``docs/bundle.md``, "Files") are read through a :class:`Source`:
a folder (a USB stick, a mounted share) or a base URL (any web server or CDN, or the
service's own device-authenticated ``/api/v1/bundle/``). The walk is the same:

1. the heartbeat (with its ETag: an unchanged one costs a ``304`` and no body);
2. if it names a newer version, the deltas from the held snapshot, one after another,
   each applied and checked against its ``to_hash``; when one is missing (the device is
   too far behind) or the device holds nothing, the snapshot the heartbeat names;
3. the venue profile (again with its ETag).

Nothing is kept here: the caller stores the result (``device.py``) only when all of it
verified, so a device never holds half an update.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from .bundle import (
    BundleError,
    Heartbeat,
    Snapshot,
    VenueProfile,
    check_enrolled,
    content_hash,
    open_file,
)
from .clock import require_aware
from .delta import apply
from .revocations import RevocationSet

__all__ = [
    "HEARTBEAT",
    "CatchUp",
    "DirectorySource",
    "Fetched",
    "Held",
    "Source",
    "catch_up",
    "delta_name",
    "profile_name",
    "snapshot_name",
]

HEARTBEAT = "heartbeat.cbor"


def snapshot_name(digest: bytes) -> str:
    """Where the snapshot with payload hash ``digest`` is published."""
    return f"snapshot/{digest.hex()}.cbor"


def delta_name(from_hash: bytes) -> str:
    """Where the delta starting at the snapshot with payload hash ``from_hash`` is published."""
    return f"delta/{from_hash.hex()}.cbor"


def profile_name(venue: int) -> str:
    """Where venue ``venue``'s profile is published."""
    return f"profile/{venue}.cbor"


@dataclass(frozen=True)
class Fetched:
    """One file asked for: its bytes (None: unchanged since ``etag``), ETag, bytes moved."""

    data: bytes | None
    etag: str | None = None
    transferred: int = 0


class Source(Protocol):
    """A carrier of published files."""

    def get(self, name: str, etag: str | None = None) -> Fetched | None:
        """The file ``name`` (None when it is not there); unchanged since ``etag`` → no data."""
        ...


class DirectorySource:
    """Published files in a folder: a USB stick, a mounted share, a test's temp dir."""

    def __init__(self, path: str | Path) -> None:
        """Read files under ``path``."""
        self.path = Path(path)

    def get(self, name: str, etag: str | None = None) -> Fetched | None:
        """The file's bytes; the ETag is its size and modification time."""
        target = self.path / name
        try:
            st = os.stat(target)
        except FileNotFoundError:
            return None
        tag = f'"{st.st_size:x}-{st.st_mtime_ns:x}"'
        if etag == tag:
            return Fetched(None, tag)
        data = target.read_bytes()
        return Fetched(data, tag, len(data))


@dataclass
class Held:
    """The snapshot a device holds: its map, exact payload bytes, hash and revocation set."""

    snapshot: Snapshot
    obj: dict
    payload_bytes: bytes
    hash: bytes
    revoked: RevocationSet

    @classmethod
    def from_payload(cls, payload_bytes: bytes, obj: dict, snapshot: Snapshot) -> Held:
        """Wrap a verified snapshot payload."""
        return cls(
            snapshot=snapshot,
            obj=obj,
            payload_bytes=payload_bytes,
            hash=content_hash(payload_bytes),
            revoked=RevocationSet(snapshot.revoked, check_sorted=False),
        )


@dataclass
class CatchUp:
    """What a catch-up brought; unchanged parts are None."""

    held: Held | None = None  # a new snapshot (through deltas or whole)
    heartbeat: bytes | None = None
    heartbeat_etag: str | None = None
    profile: bytes | None = None
    profile_etag: str | None = None
    pinned_key: bytes | None = None  # set when the snapshot was trusted on first use
    deltas: int = 0
    snapshot_taken: bool = False
    transferred: int = 0
    files: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when anything new arrived (and must be stored)."""
        return any(x is not None for x in (self.held, self.heartbeat, self.profile))


def _fetch(source: Source, name: str, out: CatchUp, etag: str | None = None) -> Fetched | None:
    got = source.get(name, etag)
    if got is not None:
        out.transferred += got.transferred
        out.files.append(name if got.data is not None else f"{name} (unchanged)")
    return got


def catch_up(
    source: Source,
    *,
    held: Held | None,
    pinned_key: bytes | None,
    program: str | None,
    venue: int | None,
    profile_file: str,
    now: datetime,
    heartbeat_etag: str | None = None,
    profile_etag: str | None = None,
    profile_rev: int | None = None,
) -> CatchUp:
    """Bring the device from ``held`` to the latest published data.

    ``pinned_key`` None means first enrollment: the snapshot is trusted on first use and
    its key returned in ``pinned_key`` (the caller compares fingerprints). ``program``
    and ``venue`` are what the device was enrolled for (None: not yet known; the first
    snapshot and profile fix them). Raises :class:`BundleError`; nothing is partly taken.
    """
    now_ts = require_aware(now)
    out = CatchUp()
    beat_file = _fetch(source, HEARTBEAT, out, heartbeat_etag if held is not None else None)
    if beat_file is None:
        raise BundleError("not_published", f"{HEARTBEAT} is not there")
    if beat_file.data is not None:
        _take_heartbeat(source, beat_file, out, held, pinned_key, program, now_ts)
    prof_file = _fetch(source, profile_file, out, profile_etag)
    if prof_file is None:
        raise BundleError("not_published", f"{profile_file} is not there")
    if prof_file.data is not None:
        key = out.pinned_key or pinned_key
        assert key is not None
        profile: VenueProfile = open_file(prof_file.data, "profile", pinned_key=key).payload
        snap = (out.held or held).snapshot if (out.held or held) else None
        check_enrolled(profile, program=snap.program if snap else program, venue=venue)
        if profile_rev is not None and profile.rev < profile_rev:
            raise BundleError(
                "older_version", f"profile rev {profile.rev} is older than held {profile_rev}"
            )
        out.profile, out.profile_etag = prof_file.data, prof_file.etag
    return out


def _take_heartbeat(
    source: Source,
    beat_file: Fetched,
    out: CatchUp,
    held: Held | None,
    pinned_key: bytes | None,
    program: str | None,
    now_ts: int,
) -> None:
    assert beat_file.data is not None
    trusted: Held | None = None
    if pinned_key is None:
        # First enrollment: nothing can be checked before the snapshot pins the key. The
        # heartbeat is read unverified only to find the snapshot's name, then verified.
        name = _unverified_hash(beat_file.data)
        snap_file = _fetch(source, snapshot_name(name), out)
        if snap_file is None or snap_file.data is None:
            raise BundleError("not_published", f"{snapshot_name(name)} is not there")
        opened = open_file(snap_file.data, "snapshot", pinned_key=None)
        pinned_key = out.pinned_key = opened.payload.bundle_key
        trusted = Held.from_payload(opened.payload_bytes, opened.obj, opened.payload)
    beat: Heartbeat = open_file(beat_file.data, "heartbeat", pinned_key=pinned_key).payload
    check_enrolled(beat, program=held.snapshot.program if held else program)
    if now_ts >= beat.exp:
        raise BundleError("expired", f"heartbeat valid until {beat.exp}, now {now_ts}")
    if held is not None and beat.version < held.snapshot.version:
        raise BundleError(
            "older_version",
            f"heartbeat v{beat.version} is older than held v{held.snapshot.version}",
        )
    current = held
    if trusted is not None:  # first enrollment: the snapshot already fetched is the one
        check_enrolled(trusted.snapshot, program=program)
        current, out.snapshot_taken = trusted, True
    while current is not None and current.snapshot.version < beat.version:
        delta_file = _fetch(source, delta_name(current.hash), out)
        if delta_file is None or delta_file.data is None:
            break  # too far behind: the snapshot below
        delta = open_file(delta_file.data, "delta", pinned_key=pinned_key).payload
        if delta.to > beat.version:
            break  # published after this heartbeat; the named snapshot is the target
        applied = apply(current.obj, current.hash, delta, revoked=current.revoked)
        current = Held(
            applied.snapshot, applied.obj, applied.payload_bytes, applied.hash, applied.revoked
        )
        out.deltas += 1
    if current is None or current.snapshot.version != beat.version:
        snap_file = _fetch(source, snapshot_name(beat.hash), out)
        if snap_file is None or snap_file.data is None:
            raise BundleError("not_published", f"{snapshot_name(beat.hash)} is not there")
        opened = open_file(snap_file.data, "snapshot", pinned_key=pinned_key)
        check_enrolled(opened.payload, program=held.snapshot.program if held else program)
        if held is not None and opened.payload.version < held.snapshot.version:
            raise BundleError(
                "older_version",
                f"snapshot v{opened.payload.version} is older than held v{held.snapshot.version}",
            )
        current = Held.from_payload(opened.payload_bytes, opened.obj, opened.payload)
        out.snapshot_taken = True
    if current.snapshot.version != beat.version or current.hash != beat.hash:
        raise BundleError(
            "hash_mismatch",
            f"the snapshot for v{beat.version} does not have the hash the heartbeat names",
        )
    if current is not held:
        out.held = current
    out.heartbeat, out.heartbeat_etag = beat_file.data, beat_file.etag


def _unverified_hash(data: bytes) -> bytes:
    """The ``hash`` a heartbeat names, read before its key is known (first enrollment)."""
    from . import cose
    from .bundle import decode_map, from_map

    try:
        sign1 = cose.parse(data)
    except cose.CoseError as exc:
        raise BundleError("malformed", str(exc)) from None
    return from_map(decode_map(sign1.payload), "heartbeat").hash
