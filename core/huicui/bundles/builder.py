"""Per-venue bundles: signed from the shared global content, cached, with a strong ETag.

A thousand devices polling cost one indexed read each (the change stamp) plus a dict
lookup; the global content is re-read only when an audit event says something changed,
when the freshness slot turns, or every few minutes as a safety net.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass

from huicui_verifier.bundle import BundlePayload, LocalizedName, VenueProfile, build_and_sign

from huicui.bundles.content import GlobalContent, change_stamp, gather
from huicui.context import Context
from huicui.venues.service import venue_benefits, venue_row

log = logging.getLogger("huicui.bundles")

# Re-read the global content at least this often even when no audit event arrived
# (a change made behind the service's back, or revocations that expired).
SAFETY_REFRESH_SECONDS = 300
# Built bundles kept in memory; each holds the whole revocation list, so bound by bytes.
CACHE_MAX_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class BuiltBundle:
    """One signed bundle for one venue."""

    data: bytes
    etag: str
    version: int
    venue_id: int
    iat: int
    exp: int
    profile: VenueProfile
    revoked_count: int
    key_count: int
    benefit_count: int


def freshness_slot(now_ts: int, lifetime_s: int) -> int:
    """Start of the current quarter-lifetime slot: the bundle's ``iat``.

    Every process computes the same ``iat`` for the same slot, and Ed25519 signatures
    are deterministic, so all processes serve byte-identical bundles and equal ETags;
    a bundle is never older than a quarter of its lifetime when served.
    """
    step = max(60, lifetime_s // 4)
    return now_ts - now_ts % step


def make_etag(version: int, venue_id: int, data: bytes) -> str:
    """Strong ETag ``"v{version}-{venue}-{sha256 prefix}"``."""
    return f'"v{version}-{venue_id}-{hashlib.sha256(data).hexdigest()[:16]}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match: ``*`` or any listed tag (weak comparison) equals ``etag``."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in if_none_match.split(","))


class BundleService:
    """Builds and caches bundles for one app (kept in ``ctx.bundle_service``)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._global: GlobalContent | None = None
        self._global_key: tuple[int, int] = (-1, -1)  # (stamp, slot) it was built for
        self._global_at = 0.0
        self._lock = asyncio.Lock()
        self._venues: OrderedDict[int, tuple[BuiltBundle, int]] = OrderedDict()  # + stamp
        self._cached_bytes = 0
        self.delivered: dict[int, int] = {}  # device id → version last recorded

    @property
    def lifetime_s(self) -> int:
        return self.ctx.settings.bundle.lifetime_hours * 3600

    def invalidate(self) -> None:
        """Forget everything cached; the next request re-reads the database."""
        self._global = None
        self._venues.clear()
        self._cached_bytes = 0

    async def global_content(self, now: dt.datetime) -> tuple[GlobalContent, int]:
        """The current global content and the change stamp it was checked against."""
        stamp = await change_stamp()
        slot = freshness_slot(int(now.timestamp()), self.lifetime_s)
        if self._fresh(stamp, slot):
            assert self._global is not None
            return self._global, stamp
        async with self._lock:
            if not self._fresh(stamp, slot):  # another request may have rebuilt meanwhile
                started = time.perf_counter()
                self._global = await gather(self.ctx, now)
                self._global_key = (stamp, slot)
                self._global_at = time.monotonic()
                log.info(
                    "bundle content v%s read in %.3fs (%d revoked)",
                    self._global.version,
                    time.perf_counter() - started,
                    self._global.revoked_count,
                )
            assert self._global is not None
            return self._global, stamp

    def _fresh(self, stamp: int, slot: int) -> bool:
        return (
            self._global is not None
            and self._global_key == (stamp, slot)
            and time.monotonic() - self._global_at < SAFETY_REFRESH_SECONDS
        )

    async def for_venue(self, venue_id: int, now: dt.datetime | None = None) -> BuiltBundle:
        """The signed bundle for ``venue_id``, from the cache when nothing changed."""
        now = now or dt.datetime.now(dt.UTC)
        content, stamp = await self.global_content(now)
        iat = freshness_slot(int(now.timestamp()), self.lifetime_s)
        cached = self._venues.get(venue_id)
        if cached is not None:
            built, seen_stamp = cached
            if built.version == content.version and built.iat == iat and seen_stamp == stamp:
                self._venues.move_to_end(venue_id)
                return built
        profile = await self._profile(venue_id, content)
        if (
            cached is not None
            and cached[0].version == content.version
            and cached[0].iat == iat
            and cached[0].profile == profile
        ):
            built = cached[0]  # something else changed; this venue's bundle did not
        else:
            built = self._sign(content, profile, iat)
        self._store(venue_id, built, stamp)
        return built

    async def _profile(self, venue_id: int, content: GlobalContent) -> VenueProfile:
        row = await venue_row(venue_id)
        installed = {b.code for b in content.benefits}
        honored = venue_benefits(row)
        missing = sorted(set(honored) - installed)
        if missing:
            # A plugin was removed after the venue was set up: ship what still exists.
            log.warning("venue %s honors benefits %s that are not installed", venue_id, missing)
        return VenueProfile(
            id=row["id"],
            name_zh=row["name_zh"],
            name_en=row["name_en"] or row["name_zh"],
            kind=row["kind"],
            partner_id=row["partner"],
            benefits=tuple(code for code in honored if code in installed),
            fail_mode=row["fail_mode"],
            static_cards=row["static_cards"],
        )

    def _sign(self, content: GlobalContent, profile: VenueProfile, iat: int) -> BuiltBundle:
        settings = self.ctx.settings
        payload = BundlePayload(
            program=settings.program.code,
            program_name=LocalizedName(zh=settings.program.name_zh, en=settings.program.name_en),
            version=content.version,
            iat=iat,
            exp=iat + self.lifetime_s,
            tz=settings.program.timezone,
            skew=settings.bundle.skew_seconds,
            bundle_key=content.bundle_key,
            keys=content.keys,
            revoked=content.revoked,
            superseded=content.superseded,
            benefits=content.benefits,
            directories=content.directories,
            venue=profile,
        )
        data = build_and_sign(payload, content.signer)
        return BuiltBundle(
            data=data,
            etag=make_etag(content.version, profile.id, data),
            version=content.version,
            venue_id=profile.id,
            iat=payload.iat,
            exp=payload.exp,
            profile=profile,
            revoked_count=content.revoked_count,
            key_count=len(content.keys),
            benefit_count=len(content.benefits),
        )

    def _store(self, venue_id: int, built: BuiltBundle, stamp: int) -> None:
        old = self._venues.pop(venue_id, None)
        if old is not None:
            self._cached_bytes -= len(old[0].data)
        self._venues[venue_id] = (built, stamp)
        self._cached_bytes += len(built.data)
        while self._cached_bytes > CACHE_MAX_BYTES and len(self._venues) > 1:
            _, (evicted, _) = self._venues.popitem(last=False)
            self._cached_bytes -= len(evicted.data)


def bundle_service(ctx: Context) -> BundleService:
    """The app's :class:`BundleService`, made on first use."""
    if ctx.bundle_service is None:
        ctx.bundle_service = BundleService(ctx)
    return ctx.bundle_service
