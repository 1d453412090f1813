"""Publishing bundle format 2 as static files into a folder (``docs/bundle-service.md``).

Layout (``docs/bundle.md``, "Files")::

    heartbeat.cbor                  re-signed every freshness slot and at every new version
    snapshot/<sha256 of payload>.cbor   immutable; the newest two are kept
    delta/<sha256 of the from snapshot>.cbor   immutable; the newest DELTAS_KEPT are kept
    profile/<venue id>.cbor         re-signed only when the venue changed

Every file is written to a temporary name and renamed, so a web server serving the
folder never hands out half a file; the heartbeat is written last, so it never names a
snapshot that is not there yet. ``profiles.json`` (venue id → rev) and ``latest.json``
are the publisher's own notes; they hold nothing a device needs or may not see.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from huicui_verifier import bundle as B
from huicui_verifier import delta as D
from huicui_verifier.catchup import HEARTBEAT, delta_name, profile_name, snapshot_name

from huicui.bundles.content import GlobalContent
from huicui.settings import Settings

log = logging.getLogger("huicui.bundles")

DELTAS_KEPT = 64
SNAPSHOTS_KEPT = 2


def freshness_slot(now_ts: int, lifetime_s: int) -> int:
    """Start of the current quarter-lifetime slot: the heartbeat's ``iat``.

    Every process computes the same ``iat`` for the same slot, and Ed25519 signatures
    are deterministic, so all processes publish byte-identical heartbeats.
    """
    step = max(60, lifetime_s // 4)
    return now_ts - now_ts % step


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    A file replaced in place (heartbeat, profile) gets a modification time at least one
    second later than the one it replaces: web servers derive ETags from whole-second
    times and sizes (nginx: ``"<mtime hex>-<size hex>"``), and a heartbeat re-signed
    within the same second has the same size, so devices would be told "not modified".
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        before = os.stat(path).st_mtime_ns // 1_000_000_000
    except FileNotFoundError:
        before = None
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    if before is not None and os.stat(tmp).st_mtime_ns // 1_000_000_000 <= before:
        later = (before + 1) * 1_000_000_000
        os.utime(tmp, ns=(later, later))
    os.replace(tmp, path)


def snapshot_payload(content: GlobalContent, settings: Settings) -> B.Snapshot:
    """The snapshot of ``content``: what every venue shares at its version."""
    program = settings.program
    return B.Snapshot(
        program=program.code,
        version=content.version,
        iat=content.released_at,
        program_name=B.LocalizedName(zh=program.name_zh, en=program.name_en),
        tz=program.timezone,
        skew=settings.bundle.skew_seconds,
        bundle_key=content.bundle_key,
        keys=content.keys,
        benefits=content.benefits,
        directories=content.directories,
        revoked=content.revoked,
        superseded=content.superseded,
    )


def profile_payload(program: str, row: dict, installed: set[int]) -> B.VenueProfile:
    """A venue's profile from its row; benefits no longer installed are left out."""
    from huicui.venues.service import venue_benefits

    updated = row.get("updated_at") or row.get("created_at")
    honored = tuple(sorted({c for c in venue_benefits(row) if c in installed}))
    static_card = row.get("static_cards") or "accept"
    # A refuse venue names its benefits as live_benefits and none as benefits, so a
    # verifier from before HB2 honors nothing there rather than a screenshot (bundle.md).
    refuse = static_card == "refuse"
    return B.VenueProfile(
        program=program,
        id=row["id"],
        rev=int(updated.timestamp()) if updated else 0,
        name_zh=row["name_zh"],
        name_en=row["name_en"] or row["name_zh"],
        kind=row["kind"],
        partner_id=row["partner"],
        benefits=() if refuse else honored,
        fail_mode=row["fail_mode"],
        static_card=static_card,
        live_benefits=honored if refuse else None,
    )


@dataclass
class _Last:
    """The last snapshot published: version, content key, payload hash and map."""

    version: int
    key: str
    hash: bytes
    map: dict


@dataclass
class Published:
    """What one publish did, for logs, the CLI and the bench."""

    version: int
    hash: bytes
    snapshot_written: bool = False
    delta_written: bool = False
    delta_bytes: int = 0
    snapshot_bytes: int = 0
    heartbeat_bytes: int = 0
    profiles_written: int = 0
    cpu_seconds: float = 0.0
    files: list[str] = field(default_factory=list)


class Publisher:
    """Keeps one folder of published files current; remembers the last snapshot it wrote."""

    def __init__(self, directory: str | Path) -> None:
        """Publish into ``directory`` (made if missing)."""
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._last: _Last | None = None

    def _notes(self, name: str) -> dict:
        try:
            return json.loads((self.directory / name).read_text("utf-8"))
        except (FileNotFoundError, ValueError):
            return {}

    def _previous(self) -> _Last | None:
        """The last published snapshot (from memory, else read back from the folder)."""
        if self._last is not None:
            return self._last
        latest = self._notes("latest.json")
        if not latest:
            return None
        digest = bytes.fromhex(latest["hash"])
        try:
            data = (self.directory / snapshot_name(digest)).read_bytes()
        except FileNotFoundError:
            return None
        self._last = _Last(
            latest["version"], latest["key"], digest, B.decode_map(B.signed_payload(data))
        )
        return self._last

    def _start_over(self) -> None:
        """Forget a folder whose versions are ahead of the database (a restored or new
        database): devices holding those versions must be enrolled again."""
        log.warning(
            "published bundle folder %s is ahead of the database: starting over", self.directory
        )
        for folder in ("snapshot", "delta", "profile"):
            for old in (self.directory / folder).glob("*.cbor"):
                old.unlink(missing_ok=True)
        for note in ("latest.json", "profiles.json", HEARTBEAT):
            (self.directory / note).unlink(missing_ok=True)
        self._last = None

    def publish_content(
        self,
        content: GlobalContent,
        settings: Settings,
        now: dt.datetime,
        *,
        venues: list[dict] | None = None,
    ) -> Published:
        """Write the snapshot (if new), the delta from the previous one, the profiles of
        ``venues`` that changed, and the heartbeat. Cheap when nothing changed."""
        started = time.process_time()
        signer: Ed25519PrivateKey = content.signer
        snap = snapshot_payload(content, settings)
        key = f"{snap.version}:{content.digest}:{snap.iat}"
        previous = self._previous()
        if previous is not None and (
            previous.version > snap.version
            or (previous.version == snap.version and previous.key != key)
        ):
            self._start_over()
            previous = None
        out = Published(version=snap.version, hash=b"")
        if previous is not None and previous.key == key:
            digest = previous.hash
        else:
            snap_map = B.to_map(snap)
            payload_bytes = B.encode(snap_map)
            digest = B.content_hash(payload_bytes)
            path = self.directory / snapshot_name(digest)
            if not path.exists():
                data = B.sign_payload(_checked(snap, payload_bytes), signer)
                write_atomic(path, data)
                out.snapshot_written, out.snapshot_bytes = True, len(data)
                out.files.append(snapshot_name(digest))
            if previous is not None and previous.map.get("bundle_key") == snap.bundle_key:
                made = D.make(
                    previous.map,
                    snap_map,
                    program=snap.program,
                    revoked=_known_changes(content, previous.map),
                )
                if made is not None:
                    data = B.sign(made, signer)
                    write_atomic(self.directory / delta_name(previous.hash), data)
                    out.delta_written, out.delta_bytes = True, len(data)
                    out.files.append(delta_name(previous.hash))
            self._last = _Last(snap.version, key, digest, snap_map)
        out.hash = digest
        if venues is not None:
            out.profiles_written = self._profiles(snap.program, venues, content, signer, out)
        lifetime = settings.bundle.lifetime_hours * 3600
        iat = max(freshness_slot(int(now.timestamp()), lifetime), snap.iat)
        beat = B.sign(
            B.Heartbeat(
                program=snap.program, version=snap.version, hash=digest, iat=iat, exp=iat + lifetime
            ),
            signer,
        )
        heartbeat_path = self.directory / HEARTBEAT
        if not heartbeat_path.exists() or heartbeat_path.read_bytes() != beat:
            latest = {"version": snap.version, "hash": digest.hex(), "key": key}
            write_atomic(self.directory / "latest.json", json.dumps(latest).encode())
            write_atomic(heartbeat_path, beat)
            out.files.append(HEARTBEAT)
        out.heartbeat_bytes = len(beat)
        self._prune(keep=digest)
        out.cpu_seconds = time.process_time() - started
        return out

    def _profiles(
        self,
        program: str,
        venues: list[dict],
        content: GlobalContent,
        signer: Ed25519PrivateKey,
        out: Published,
    ) -> int:
        notes = self._notes("profiles.json")
        installed = {b.code for b in content.benefits}
        written = 0
        for row in venues:
            profile = profile_payload(program, row, installed)
            encoded = B.encode(profile)
            note = hashlib.sha256(encoded).hexdigest()[:32]
            if notes.get(str(profile.id)) == note:
                continue
            _checked(profile, encoded)
            write_atomic(self.directory / profile_name(profile.id), B.sign_payload(encoded, signer))
            notes[str(profile.id)] = note
            written += 1
        if written:
            write_atomic(self.directory / "profiles.json", json.dumps(notes).encode())
        return written

    def _prune(self, keep: bytes) -> None:
        """Drop all but the newest snapshots and deltas (devices that far behind take the
        latest snapshot)."""
        for folder, kept in (("snapshot", SNAPSHOTS_KEPT), ("delta", DELTAS_KEPT)):
            files = sorted(
                (self.directory / folder).glob("*.cbor"),
                key=lambda p: p.stat().st_mtime_ns,
                reverse=True,
            )
            for old in files[kept:]:
                if old.name != f"{keep.hex()}.cbor":
                    old.unlink(missing_ok=True)


def _known_changes(content: GlobalContent, previous: dict) -> B.Changes | None:
    """How the revoked list changed, when ``content`` was made from the list that the
    previous snapshot holds (comparing the bytes is a memcmp; diffing a million ids is not)."""
    base = content.revoked_base
    if base is None or previous.get("revoked", b"") != base:
        return None
    if not (content.revoked_added or content.revoked_removed):
        return B.Changes()
    return B.Changes(add=content.revoked_added, remove=content.revoked_removed)


def _checked(payload: B.Payload, payload_bytes: bytes) -> bytes:
    """``payload_bytes`` once ``payload`` passed every rule a device will check."""
    found = B.problems(payload)
    if found:
        raise ValueError("; ".join(found))
    return payload_bytes
