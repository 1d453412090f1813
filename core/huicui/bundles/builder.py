"""The service's own published folder, kept current, and the heartbeat held in memory.

A poll (``GET /api/v1/bundle`` or ``/bundle/heartbeat.cbor`` with ``If-None-Match``)
is answered from memory: the heartbeat bytes and their ETag. The database is asked
whether anything changed (one indexed read of the change stamp) at most every
``bundle.check_seconds``, however many devices poll; a new freshness slot only re-signs
the heartbeat, which needs no database either. Several processes share one folder: each
publishes the same bytes for the same content (deterministic encoding and signatures),
and each re-reads the heartbeat file when another process replaced it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from huicui.bundles.content import GlobalContent, change_stamp, gather
from huicui.bundles.publish import HEARTBEAT, Published, Publisher, freshness_slot
from huicui.context import Context

log = logging.getLogger("huicui.bundles")

# Re-read the content at least this often even when the change stamp did not move
# (a change made behind the service's back, or revocations that expired).
SAFETY_REFRESH_SECONDS = 300
# Between these, revocations are read incrementally (only what changed since the last
# read); a whole read this often also catches rows changed without a ``revoked_at``.
FULL_READ_SECONDS = 3600
# Names a device may ask for: the heartbeat, a snapshot or delta by hash, a profile.
FILE_NAME = re.compile(
    r"^(heartbeat\.cbor|(snapshot|delta)/[0-9a-f]{64}\.cbor|profile/\d{1,12}\.cbor)$"
)


@dataclass(frozen=True)
class Heartbeat:
    """The current heartbeat file as served: bytes, strong ETag, version."""

    data: bytes
    etag: str
    version: int


def make_etag(data: bytes) -> str:
    """Strong ETag of a published file: the first 16 hex digits of its SHA-256."""
    return f'"{hashlib.sha256(data).hexdigest()[:16]}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match: ``*`` or any listed tag (weak comparison) equals ``etag``."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in if_none_match.split(","))


def publish_dir(ctx: Context) -> Path:
    """The folder the service publishes into (``bundle.publish_dir``)."""
    return Path(ctx.settings.bundle.publish_dir)


class BundleService:
    """Keeps the service's published folder current (kept in ``ctx.bundle_service``).

    ``clock`` (monotonic seconds) may be replaced by tests to hold or pass the check
    interval without waiting.
    """

    def __init__(self, ctx: Context, clock: Callable[[], float] = time.monotonic) -> None:
        self.ctx = ctx
        self.clock = clock
        self.publisher = Publisher(publish_dir(ctx))
        self._lock = asyncio.Lock()
        self._content: GlobalContent | None = None
        self._stamp = -1
        self._content_at = 0.0
        self._full_read_at = -1e18
        self._checked_at = -1e18
        self._slot = -1
        self._heartbeat: Heartbeat | None = None
        self._heartbeat_mtime = 0
        # A string, not a Path: the poll stats it on every request.
        self._heartbeat_path = str(self.publisher.directory / HEARTBEAT)
        self._venues_since: dt.datetime | None = None
        self.last_published: Published | None = None
        self.delivered: dict[int, int] = {}  # device id → version last recorded

    @property
    def lifetime_s(self) -> int:
        return self.ctx.settings.bundle.lifetime_hours * 3600

    def invalidate(self) -> None:
        """Forget what is cached; the next request asks the database again."""
        self._content = None
        self._checked_at = -1e18

    async def heartbeat(self, now: dt.datetime | None = None) -> Heartbeat:
        """The current heartbeat, from memory unless a check is due (see the module doc)."""
        now = now or dt.datetime.now(dt.UTC)
        held = self.current(now.timestamp())
        if held is not None:
            return held
        await self.refresh(now)
        assert self._heartbeat is not None
        return self._heartbeat

    def current(self, now_ts: float | None = None) -> Heartbeat | None:
        """The heartbeat held in memory when no database check is due, else ``None``.

        Synchronous and without the database: the no-change poll
        (:mod:`huicui.bundles.poll`) answers from it; on ``None`` the caller awaits
        :meth:`heartbeat`, which asks the database first.
        """
        if self._heartbeat is None:
            return None
        if self.clock() - self._checked_at >= self.ctx.settings.bundle.check_seconds:
            return None
        now_ts = time.time() if now_ts is None else now_ts
        if freshness_slot(int(now_ts), self.lifetime_s) != self._slot:
            return None
        self._reread_if_replaced()
        return self._heartbeat

    async def refresh(self, now: dt.datetime | None = None, *, force: bool = False) -> Published:
        """Ask the database whether anything changed and publish if so (or when ``force``)."""
        now = now or dt.datetime.now(dt.UTC)
        async with self._lock:
            stamp = await change_stamp()
            stale = self.clock() - self._content_at >= SAFETY_REFRESH_SECONDS
            changed = force or stale or stamp != self._stamp or self._content is None
            if changed:
                full = force or self.clock() - self._full_read_at >= FULL_READ_SECONDS
                self._content = await gather(
                    self.ctx, now, previous=None if full else self._content
                )
                self._content_at = self.clock()
                if full:
                    self._full_read_at = self._content_at
            assert self._content is not None
            venues = await self._changed_venues() if changed else None
            published = self.publisher.publish_content(
                self._content, self.ctx.settings, now, venues=venues
            )
            self._stamp = stamp
            self._checked_at = self.clock()
            self._slot = freshness_slot(int(now.timestamp()), self.lifetime_s)
            self._load_heartbeat()
            self.last_published = published
            if published.files:
                log.info(
                    "bundle v%s published (%s) in %.3f s CPU",
                    published.version,
                    ", ".join(published.files[:4]),
                    published.cpu_seconds,
                )
            return published

    async def _changed_venues(self) -> list[dict]:
        """Venue rows changed since the last look (all of them the first time)."""
        from huicui.venues.tables import Venue

        query = Venue.select()
        if self._venues_since is not None:
            query = query.where(Venue.updated_at >= self._venues_since)
        rows = await query
        if rows:
            self._venues_since = max(r["updated_at"] for r in rows)
        return rows

    def _load_heartbeat(self) -> None:
        with open(self._heartbeat_path, "rb") as f:
            # The time of the file read, so a replacement after this read is seen.
            self._heartbeat_mtime = os.fstat(f.fileno()).st_mtime_ns
            data = f.read()
        version = _heartbeat_version(data)
        self._heartbeat = Heartbeat(data=data, etag=make_etag(data), version=version)

    def _reread_if_replaced(self) -> None:
        # Another process sharing the folder may have published: one stat, no database.
        try:
            mtime = os.stat(self._heartbeat_path).st_mtime_ns
        except FileNotFoundError:
            return
        if mtime != self._heartbeat_mtime:
            self._load_heartbeat()

    async def file(self, name: str, now: dt.datetime | None = None) -> bytes | None:
        """A published file by its name in the folder, or None (an unknown name too)."""
        if name == HEARTBEAT:
            return (await self.heartbeat(now)).data
        if not FILE_NAME.match(name):
            return None
        await self.heartbeat(now)  # publishes first if a check is due
        try:
            return (self.publisher.directory / name).read_bytes()
        except FileNotFoundError:
            return None


def _heartbeat_version(signed: bytes) -> int:
    """The version a heartbeat file this service published names."""
    from huicui_verifier.bundle import decode_map, signed_payload

    return int(decode_map(signed_payload(signed))["version"])


def bundle_service(ctx: Context) -> BundleService:
    """The app's :class:`BundleService`, made on first use."""
    if ctx.bundle_service is None:
        ctx.bundle_service = BundleService(ctx)
    return ctx.bundle_service
