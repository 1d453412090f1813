"""Running detection on the service: after each sync, and again on demand.

The core listens to synced redemptions through the same door it gives benefit
plugins — :class:`MisuseDetector` is a core-internal implementation of the
``huicui_redemptions_synced`` hook, told by the sync outbox after the device has its
answer (:mod:`huicui.sync.outbox`). Detection never refuses or fails an upload: the
records are stored before it runs; an error is logged by type (never with a message
that might quote a certificate) and the outbox tries that batch again later.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import msgspec
from piccolo.columns.combination import And

from huicui.audit import service as audit
from huicui.context import Context
from huicui.db import one_connection
from huicui.db.bulk import IN_CHUNK, Params, fetch
from huicui.misuse.detect import (
    OVER_LIMIT,
    Finding,
    Use,
    impossible_travel,
    over_limit,
    query_window,
)
from huicui.misuse.tables import MisuseFlag
from huicui.plugins.api import RedemptionFact, hookimpl
from huicui.sync.tables import Redemption
from huicui.venues.tables import Venue

log = logging.getLogger("huicui.misuse")
SYSTEM_ACTOR = "system:misuse"
CHUNK = IN_CHUNK  # certificate ids per IN (…) query: a whole batch in one


@dataclass
class ScanResult:
    """What one detection run did."""

    checked: int = 0  # accepted uses looked at
    created: int = 0  # new flags
    updated: int = 0  # open flags that gained evidence


class MisuseDetector:
    """Core-internal plugin: checks every newly synced batch for misuse."""

    __name__ = "huicui.misuse"

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    @hookimpl
    async def huicui_redemptions_synced(self, records: list[RedemptionFact]) -> None:
        """Detect on a synced batch; an error is logged by type and raised again, so the
        sync outbox retries this batch later (the upload itself is long answered)."""
        try:
            await detect(self._ctx, uses_of(records))
        except Exception as exc:
            log.error(
                "misuse detection failed on %d synced records: %s",
                len(records),
                type(exc).__name__,
            )
            raise


def uses_of(facts: Iterable[RedemptionFact]) -> list[Use]:
    """The accepted uses among synced redemptions (refusals gave nothing away)."""
    return [
        Use(
            uuid=f.uuid,
            certificate_id=f.certificate_id,
            benefit=f.benefit,
            venue_id=f.venue_id,
            at=f.at,
        )
        for f in facts
        if f.accepted
    ]


def _limits(ctx: Context) -> dict[int, tuple]:
    if ctx.plugins is None:
        return {}
    return {info.code: tuple(info.policy.limits) for info in ctx.plugins.benefits()}


async def detect(ctx: Context, new: Sequence[Use]) -> ScanResult:
    """Flag what ``new`` accepted uses reveal, given every device's stored uses.

    Idempotent: a finding already flagged is not flagged again; an *open* over-limit
    flag gains the further uses of its period.
    """
    result = ScanResult(checked=len(new))
    settings = ctx.settings.misuse
    if not new or not settings.enabled:
        return result
    limits = _limits(ctx)
    window = dt.timedelta(hours=settings.window_hours)
    span = query_window(new, limits, window, ctx.tz)
    assert span is not None  # new is not empty
    async with one_connection(write=False):
        known = {u.uuid: u for u in new}
        stored = await _accepted_uses(sorted({u.certificate_id for u in new}), *span, known)
        uses = list({u.uuid: u for u in [*stored, *new]}.values())
        coords = await _coordinates({u.venue_id for u in uses})
    findings = over_limit(new, uses, limits, ctx.tz) + impossible_travel(
        new,
        uses,
        coords,
        max_speed_kmh=settings.max_speed_kmh,
        min_distance_km=settings.min_distance_km,
        window=window,
        tz=ctx.tz,
    )
    memberships: dict[str, int | None] = {}
    for finding in findings:
        cti = finding.certificate_id
        if cti not in memberships:
            memberships[cti] = await membership_of(cti)
        outcome = await save(finding, memberships[cti])
        if outcome == "created":
            result.created += 1
        elif outcome == "updated":
            result.updated += 1
    return result


async def membership_of(cti: str) -> int | None:
    """The membership a certificate belongs to, or ``None`` for an unknown card."""
    from huicui.issuance.certificates import certificate_for_cti

    cert = await certificate_for_cti(cti)
    return cert["membership_id"] if cert else None


async def _accepted_uses(
    ctis: list[str], low: dt.datetime, high: dt.datetime, known: dict[str, Use]
) -> list[Use]:
    """Stored accepted uses of ``ctis`` in ``[low, high)``; a row of ``known`` (the batch
    itself, stored before it is told) comes back as that object, not built again."""
    # Written out rather than through Piccolo's is_in, which turned each of a batch's
    # hundreds of ids into a query fragment of its own in Python.
    out: list[Use] = []
    for i in range(0, len(ctis), CHUNK):
        p = Params()
        listed = p.one_of(ctis[i : i + CHUNK])
        sql = (
            'SELECT "uuid", "certificate_id", "benefit", "venue", "at" FROM "redemption" '  # noqa: S608
            f'WHERE "certificate_id" {listed} AND "decision" = {p("accept")} '
            f'AND "at" >= {p(low)} AND "at" < {p(high)}'
        )
        out.extend(
            known.get(row["uuid"])
            or Use(
                uuid=row["uuid"],
                certificate_id=row["certificate_id"],
                benefit=row["benefit"],
                venue_id=row["venue"],
                at=_aware(row["at"]),
            )
            for row in await fetch(sql, p)
        )
    return out


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


async def _coordinates(venue_ids: set[int]) -> dict[int, tuple[float, float]]:
    if not venue_ids:
        return {}
    rows = await Venue.select(Venue.id, Venue.lat, Venue.lon).where(
        Venue.id.is_in(sorted(venue_ids))
    )
    return {
        row["id"]: (row["lat"], row["lon"])
        for row in rows
        if row["lat"] is not None and row["lon"] is not None
    }


def json_value(value: object) -> object:
    """A JSON column's value (PostgreSQL and SQLite hand it back as text)."""
    if isinstance(value, str):
        return msgspec.json.decode(value) if value else None
    return value


def _json(value: object) -> str:
    return msgspec.json.encode(value).decode()


async def save(finding: Finding, membership_id: int | None) -> str:
    """Store a finding once: ``created``, ``updated`` (more evidence) or ``known``."""
    existing = (
        await MisuseFlag.select(MisuseFlag.id, MisuseFlag.status, MisuseFlag.redemption_uuids)
        .where(MisuseFlag.dedup_key == finding.key)
        .first()
    )
    now = dt.datetime.now(dt.UTC)
    if existing is None:
        # A second worker may store the same finding meanwhile: the unique key decides.
        inserted = (
            await MisuseFlag.insert(
                MisuseFlag(
                    dedup_key=finding.key,
                    kind=finding.kind,
                    certificate_id=finding.certificate_id,
                    membership_id=membership_id,
                    benefit=finding.benefit,
                    redemption_uuids=_json(list(finding.uuids)),
                    details=_json(finding.details),
                    status="open",
                    created_at=now,
                    updated_at=now,
                )
            )
            .on_conflict(target=MisuseFlag.dedup_key, action="DO NOTHING")
            .returning(MisuseFlag.id)
        )
        if not inserted:
            return "known"
        await audit.record(
            SYSTEM_ACTOR,
            "misuse.flag",
            "misuse_flag",
            inserted[0]["id"],
            data={"kind": finding.kind, "benefit": finding.benefit, "records": len(finding.uuids)},
        )
        return "created"
    known = set(json_value(existing["redemption_uuids"]) or [])
    if (
        existing["status"] == "open"
        and finding.kind == OVER_LIMIT
        and set(finding.uuids) > known
    ):
        await MisuseFlag.update(
            {
                MisuseFlag.redemption_uuids: _json(list(finding.uuids)),
                MisuseFlag.details: _json(finding.details),
                MisuseFlag.updated_at: now,
            }
        ).where(And(MisuseFlag.id == existing["id"], MisuseFlag.status == "open"))
        return "updated"
    return "known"


async def rescan(
    ctx: Context,
    since: dt.datetime,
    until: dt.datetime | None = None,
    *,
    batch: int = 500,
    progress=None,
) -> ScanResult:
    """Run detection again over stored accepted uses with ``since <= at < until``.

    For ``huicui misuse scan``: after changing the settings, or when detection failed
    during a sync. ``progress(done, total)`` is called after each batch.
    """
    conditions = And(Redemption.decision == "accept", Redemption.at >= since)
    if until is not None:
        conditions = And(conditions, Redemption.at < until)
    total = await Redemption.count().where(conditions)
    result = ScanResult()
    last_id = 0
    done = 0
    while True:
        rows = (
            await Redemption.select(
                Redemption.id,
                Redemption.uuid,
                Redemption.certificate_id,
                Redemption.benefit,
                Redemption.venue,
                Redemption.at,
            )
            .where(And(conditions, Redemption.id > last_id))
            .order_by(Redemption.id)
            .limit(batch)
        )
        if not rows:
            break
        last_id = rows[-1]["id"]
        part = await detect(
            ctx,
            [
                Use(
                    uuid=row["uuid"],
                    certificate_id=row["certificate_id"],
                    benefit=row["benefit"],
                    venue_id=row["venue"],
                    at=_aware(row["at"]),
                )
                for row in rows
            ],
        )
        result.checked += part.checked
        result.created += part.created
        result.updated += part.updated
        done += len(rows)
        if progress is not None:
            progress(done, total)
    return result
