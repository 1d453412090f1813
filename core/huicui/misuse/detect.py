"""What counts as misuse, as pure functions of accepted uses (no database, no clock).

A device enforces a benefit's limits against its own log only, so a holder who uses
two gates (or a copied QR code used at two places) is invisible to each device. The
service sees every device's uploads and checks two things:

- **over limit**: more accepted uses of one certificate and benefit in a policy period
  (Asia/Shanghai calendar) than the policy allows, counted across all devices — per
  venue when the limit is venue-scoped;
- **impossible travel**: two accepted uses of one certificate at venues so far apart,
  so close in time, that nobody could have gone from one to the other.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from huicui_verifier.clock import zone
from huicui_verifier.policy import Limit, period_bounds

OVER_LIMIT = "over_limit"
IMPOSSIBLE_TRAVEL = "impossible_travel"
KINDS = (OVER_LIMIT, IMPOSSIBLE_TRAVEL)
EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)


@dataclass(frozen=True)
class Use:
    """One accepted use of a certificate, as detection needs it."""

    uuid: str
    certificate_id: str
    benefit: int
    venue_id: int
    at: dt.datetime  # aware


@dataclass(frozen=True)
class Finding:
    """A suspected misuse; ``key`` is the same whenever the same thing is found again."""

    kind: str
    key: str
    certificate_id: str
    benefit: int | None
    uuids: tuple[str, ...]
    details: dict[str, Any] = field(default_factory=dict)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points given in degrees, in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@lru_cache(maxsize=4096)
def _bounds_of_day(per: str, day: dt.date, tz_name: str) -> tuple[int, int]:
    noon = dt.datetime(day.year, day.month, day.day, 12, tzinfo=zone(tz_name))
    return period_bounds(per, noon, tz_name)  # type: ignore[arg-type]


def bounds(per: str, at: dt.datetime, tz_name: str) -> tuple[int, int]:
    """``period_bounds(per, at, tz_name)``, worked out once per local day.

    A period is made of whole local days, so the day of ``at`` decides it; a batch of
    hundreds of uses falls on a few days.
    """
    return _bounds_of_day(per, at.astimezone(zone(tz_name)).date(), tz_name)


class _Periods:
    """:func:`bounds` for the uses of one batch, by epoch seconds: a use inside a period
    already found reuses it without a time-zone conversion (a batch's hundreds of uses
    fall in a few periods, and the conversion was most of the outbox's detection time)."""

    def __init__(self, tz_name: str) -> None:
        self.tz_name = tz_name
        self.found: dict[str, list[tuple[int, int]]] = defaultdict(list)

    def __call__(self, per: str, at: dt.datetime) -> tuple[int, int]:
        ts = at.timestamp()
        known = self.found[per]
        for start, end in known:
            if start <= ts < end:
                return start, end
        period = bounds(per, at, self.tz_name)
        known.append(period)
        return period


@lru_cache(maxsize=4096)
def _local_date(ts: int, tz: dt.tzinfo) -> str:
    return dt.datetime.fromtimestamp(ts, tz).date().isoformat()


def over_limit(
    new: Iterable[Use],
    uses: Sequence[Use],
    limits: Mapping[int, Sequence[Limit]],
    tz: dt.tzinfo,
) -> list[Finding]:
    """Periods in which a certificate used a benefit more often than a limit allows.

    :param new: the accepted uses just synced; only periods holding one are checked.
    :param uses: every accepted use of the same certificates that the periods of
        ``new`` may hold (``new`` included), from all devices.
    :param limits: benefit code → its policy's limits.
    :param tz: the program's time zone (periods are calendar periods there).
    """
    tz_name = str(tz)
    by_cert_benefit: dict[tuple[str, int], list[Use]] = defaultdict(list)
    for use in uses:
        by_cert_benefit[(use.certificate_id, use.benefit)].append(use)
    groups: dict[str, tuple[Use, Limit, int, int]] = {}
    periods = _Periods(tz_name)
    for use in new:
        for limit in limits.get(use.benefit, ()):
            start, end = periods(limit.per, use.at)
            key = f"{OVER_LIMIT}:{use.certificate_id}:{use.benefit}:{limit.per}"
            key += f":{_local_date(start, tz)}"
            if limit.scope == "venue":
                key += f":v{use.venue_id}"
            # Two limits of one benefit on one period: the stricter one names the flag.
            known = groups.get(key)
            if known is None or limit.count < known[1].count:
                groups[key] = (use, limit, start, end)
    found = []
    for key, (use, limit, start, end) in sorted(groups.items()):
        candidates = by_cert_benefit[(use.certificate_id, use.benefit)]
        if len(candidates) <= limit.count:
            continue  # not even every use of this benefit together goes over the limit
        counted = sorted(
            (
                u
                for u in candidates
                if start <= u.at.timestamp() < end
                and (limit.scope == "benefit" or u.venue_id == use.venue_id)
            ),
            key=lambda u: (u.at, u.uuid),
        )
        uuids = tuple(dict.fromkeys(u.uuid for u in counted))
        if len(uuids) <= limit.count:
            continue
        details: dict[str, Any] = {
            "count": len(uuids),
            "limit": limit.count,
            "per": limit.per,
            "scope": limit.scope,
            "period_start": dt.datetime.fromtimestamp(start, tz).isoformat(),
            "period_end": dt.datetime.fromtimestamp(end, tz).isoformat(),
            "venues": sorted({u.venue_id for u in counted}),
        }
        if limit.scope == "venue":
            details["venue_id"] = use.venue_id
        found.append(
            Finding(
                kind=OVER_LIMIT,
                key=key,
                certificate_id=use.certificate_id,
                benefit=use.benefit,
                uuids=uuids,
                details=details,
            )
        )
    return found


def impossible_travel(
    new: Iterable[Use],
    uses: Sequence[Use],
    coords: Mapping[int, tuple[float, float]],
    *,
    max_speed_kmh: float,
    min_distance_km: float,
    window: dt.timedelta,
    tz: dt.tzinfo,
) -> list[Finding]:
    """Pairs of uses of one certificate that nobody could have travelled between.

    A pair is flagged when the venues are at least ``min_distance_km`` apart and the
    speed needed (distance over the time between the uses) exceeds ``max_speed_kmh``.
    Venues without coordinates are skipped; uses more than ``window`` apart are never
    compared. One flag per certificate, venue pair and local day of the later use (the
    fastest pair found names it), so going back and forth does not raise a flag a trip.
    """
    by_cert: dict[str, list[Use]] = defaultdict(list)
    for use in uses:
        if use.venue_id in coords:
            by_cert[use.certificate_id].append(use)
    best: dict[str, tuple[float, Finding]] = {}
    for use in new:
        if use.venue_id not in coords:
            continue
        for other in by_cert[use.certificate_id]:
            if other.uuid == use.uuid or other.venue_id == use.venue_id:
                continue
            seconds = abs((use.at - other.at).total_seconds())
            if seconds > window.total_seconds():
                continue
            (lat1, lon1), (lat2, lon2) = coords[other.venue_id], coords[use.venue_id]
            km = haversine_km(lat1, lon1, lat2, lon2)
            if km < min_distance_km:
                continue
            hours = seconds / 3600
            if hours > 0 and km / hours <= max_speed_kmh:
                continue
            first, second = sorted((use, other), key=lambda u: (u.at, u.uuid))
            pair = sorted((first.venue_id, second.venue_id))
            day = second.at.astimezone(tz).date().isoformat()
            key = f"{IMPOSSIBLE_TRAVEL}:{use.certificate_id}:{pair[0]}-{pair[1]}:{day}"
            speed = math.inf if hours == 0 else km / hours
            finding = Finding(
                kind=IMPOSSIBLE_TRAVEL,
                key=key,
                certificate_id=use.certificate_id,
                benefit=second.benefit,
                uuids=(first.uuid, second.uuid),
                details={
                    "from_venue_id": first.venue_id,
                    "to_venue_id": second.venue_id,
                    "benefits": [first.benefit, second.benefit],
                    "distance_km": round(km, 1),
                    "minutes": round(seconds / 60, 1),
                    # null when both uses carry the same second: no speed would do
                    "speed_kmh": None if hours == 0 else round(speed),
                    "max_speed_kmh": max_speed_kmh,
                    "min_distance_km": min_distance_km,
                },
            )
            known = best.get(key)
            if known is None or speed > known[0]:
                best[key] = (speed, finding)
    return [finding for _, (_, finding) in sorted(best.items())]


def query_window(
    new: Iterable[Use], limits: Mapping[int, Sequence[Limit]], window: dt.timedelta, tz: dt.tzinfo
) -> tuple[dt.datetime, dt.datetime] | None:
    """The time range of earlier and later uses detection must see for ``new``."""
    periods = _Periods(str(tz))
    first = last = None
    low = high = None  # epoch seconds of the periods' bounds
    for use in new:
        if first is None or use.at < first:
            first = use.at
        if last is None or use.at > last:
            last = use.at
        for limit in limits.get(use.benefit, ()):
            start, end = periods(limit.per, use.at)
            low = start if low is None or start < low else low
            high = end if high is None or end > high else high
    if first is None or last is None:
        return None
    lowest, highest = first - window, last + window
    if low is not None and high is not None:
        lowest = min(lowest, dt.datetime.fromtimestamp(low, dt.UTC))
        highest = max(highest, dt.datetime.fromtimestamp(high, dt.UTC))
    return lowest, highest
