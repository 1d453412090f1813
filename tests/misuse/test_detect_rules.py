"""The detection rules on their own: distances, speeds, periods (no database)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from huicui.misuse.detect import (
    IMPOSSIBLE_TRAVEL,
    OVER_LIMIT,
    Use,
    haversine_km,
    impossible_travel,
    over_limit,
)
from huicui_verifier.policy import Limit

TZ = ZoneInfo("Asia/Shanghai")
PORT, PIER, OLD_STREET, GUILIN = 1, 2, 3, 4
COORDS = {PORT: (21.4733, 109.0986), PIER: (21.0291, 109.1083), OLD_STREET: (21.4857, 109.1124),
          GUILIN: (25.3004, 110.2766)}


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2025, 10, day, hour, minute, second, tzinfo=TZ)


def use(n: int, venue: int, when: dt.datetime, benefit: int = 2, cti: str = "a" * 16) -> Use:
    return Use(uuid=f"u{n}", certificate_id=cti, benefit=benefit, venue_id=venue, at=when)


def travel(new, uses=None, **kw):
    options = {"max_speed_kmh": 120.0, "min_distance_km": 5.0,
               "window": dt.timedelta(hours=24), "tz": TZ, **kw}
    return impossible_travel(new, uses if uses is not None else new, COORDS, **options)


def test_haversine_matches_known_distances():
    assert haversine_km(39.9042, 116.4074, 31.2304, 121.4737) == pytest.approx(1067, abs=5)
    assert haversine_km(*COORDS[PORT], *COORDS[PIER]) == pytest.approx(49.5, abs=1)
    assert haversine_km(*COORDS[PORT], *COORDS[PORT]) == 0


def test_a_ferry_trip_is_plausible_and_a_flight_to_guilin_is_not():
    trip = [use(1, PORT, at(15, 8)), use(2, PIER, at(15, 9, 30))]  # 49 km in 90 min
    assert travel(trip) == []
    (found,) = travel([use(1, PORT, at(15, 10)), use(2, GUILIN, at(15, 11))])
    assert found.kind == IMPOSSIBLE_TRAVEL and found.uuids == ("u1", "u2")
    assert found.details["distance_km"] == pytest.approx(440, abs=10)
    assert found.details["minutes"] == 60 and found.details["speed_kmh"] > 400
    assert found.details["from_venue_id"] == PORT and found.details["to_venue_id"] == GUILIN


def test_speed_limit_distance_floor_window_and_missing_coordinates():
    km = haversine_km(*COORDS[PORT], *COORDS[PIER])
    exactly = dt.timedelta(hours=km / 120)
    at_limit = [use(1, PORT, at(15, 8)), use(2, PIER, at(15, 8) + exactly + dt.timedelta(1e-3))]
    assert travel(at_limit) == []  # not faster than 120 km/h
    faster = [use(1, PORT, at(15, 8)), use(2, PIER, at(15, 8) + exactly * 0.9)]
    assert len(travel(faster)) == 1
    near = [use(1, PORT, at(15, 8)), use(2, OLD_STREET, at(15, 8, 0, 20))]  # ~2 km, 20 s
    assert travel(near) == []
    assert len(travel(near, min_distance_km=1)) == 1
    same_second = [use(1, PORT, at(15, 8)), use(2, PIER, at(15, 8))]
    (found,) = travel(same_second)
    assert found.details["speed_kmh"] is None and found.details["minutes"] == 0
    far_apart = [use(1, PORT, at(14, 8)), use(2, GUILIN, at(15, 9))]  # 25 h: never compared
    assert travel(far_apart) == []
    unknown_place = [use(1, PORT, at(15, 8)), use(2, 99, at(15, 8, 1))]
    assert travel(unknown_place) == []


def test_one_travel_flag_per_venue_pair_and_day_named_by_the_fastest_pair():
    uses = [use(1, PORT, at(15, 8)), use(2, GUILIN, at(15, 10)), use(3, PORT, at(15, 11)),
            use(4, GUILIN, at(15, 11, 30))]
    found = travel(uses)
    assert len(found) == 1 and found[0].uuids == ("u3", "u4")
    next_day = [use(5, PORT, at(16, 8)), use(6, GUILIN, at(16, 9))]
    other_day = travel(next_day, uses + next_day)
    assert len(other_day) == 1 and found[0].key != other_day[0].key
    other_card = travel([use(7, PORT, at(15, 8), cti="b" * 16), use(8, GUILIN, at(15, 9),
                                                                   cti="b" * 16)])
    assert len(other_card) == 1 and other_card[0].key != found[0].key


def test_over_limit_counts_every_device_in_the_shanghai_day():
    limits = {2: (Limit(2, "day"),)}
    # 23:30 on the 14th and 00:30 on the 15th are different days in Shanghai (one UTC day).
    uses = [use(1, PORT, at(14, 23, 30)), use(2, PORT, at(15, 0, 30)), use(3, PIER, at(15, 9))]
    assert over_limit(uses, uses, limits, TZ) == []
    uses.append(use(4, PIER, at(15, 17)))
    (found,) = over_limit(uses[-1:], uses, limits, TZ)
    assert found.kind == OVER_LIMIT and found.uuids == ("u2", "u3", "u4")
    assert found.details["count"] == 3 and found.details["limit"] == 2
    assert found.details["period_start"] == "2025-10-15T00:00:00+08:00"
    assert found.details["venues"] == [PORT, PIER]
    assert over_limit(uses[-1:], uses, limits, TZ)[0].key == found.key  # stable key
    assert over_limit(uses[:1], uses, limits, TZ) == []  # only periods of new uses count


def test_venue_scoped_limits_count_per_venue_and_the_stricter_limit_names_the_flag():
    limits = {1: (Limit(1, "day", "venue"),)}
    uses = [use(1, PORT, at(15, 9), benefit=1), use(2, PIER, at(15, 12), benefit=1)]
    assert over_limit(uses, uses, limits, TZ) == []  # one entry at each of two venues
    uses.append(use(3, PIER, at(15, 16), benefit=1))
    (found,) = over_limit(uses, uses, limits, TZ)
    assert found.details["venue_id"] == PIER and found.uuids == ("u2", "u3")
    both = {2: (Limit(5, "month"), Limit(2, "month"))}
    month = [use(n, PORT, at(n, 9)) for n in range(1, 4)]
    (found,) = over_limit(month, month, both, TZ)
    assert found.details["limit"] == 2 and found.details["per"] == "month"
