"""Partners, venues and enrolled devices through the API, and redemption records as a device
uploads them (members: :mod:`huicui_test_support.members`)."""

from __future__ import annotations

import uuid

FERRY, SCENIC, BUS = 2, 1, 3


async def partner(client, tokens, **extra) -> dict:
    body = {"name_zh": "北部湾旅游公司", "name_en": "Beibu Gulf Tourism",
            "contact_name": "周经理", "contact_phone": "07792028888", **extra}
    r = await client.post("/api/v1/partners", json=body, headers=tokens.h("admin"))
    assert r.status_code == 201, r.text
    return r.json()


async def venue(client, tokens, partner_id: int | None = None, *,
                where: tuple[float, float] | None = (21.47, 109.10), **extra) -> dict:
    """A venue (a ferry pier by default) of ``partner_id`` (a new partner when omitted);
    ``where`` is its (lat, lon), or None for a venue with no position on file."""
    if partner_id is None:
        partner_id = (await partner(client, tokens))["id"]
    position = {"lat": where[0], "lon": where[1]} if where is not None else {}
    body = {"partner_id": partner_id, "name_zh": "北海国际客运港", "name_en": "Beihai Port",
            "kind": "ferry", "benefits": [FERRY], "fail_mode": "open", **position, **extra}
    r = await client.post("/api/v1/venues", json=body, headers=tokens.h("admin"))
    assert r.status_code == 201, r.text
    return r.json()


async def device(client, tokens, venue_id: int, name: str = "1号闸机") -> dict:
    """Enroll a device; the answer holds the token (shown once) and the fingerprint."""
    r = await client.post("/api/v1/devices", json={"venue_id": venue_id, "name": name},
                          headers=tokens.h("admin"))
    assert r.status_code == 201, r.text
    return r.json()


class Clock:
    """Monotonic seconds that move only when told (a memory's ``clock`` in tests)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def record(cti: str, venue_id: int, at: int, **extra) -> dict:
    """One redemption record as a device uploads it (the verifier's RedemptionRecord)."""
    return {"uuid": str(uuid.uuid4()), "cti": cti, "benefit": FERRY, "venue": venue_id,
            "at": at, "decision": "accept", "reason": "ok", "companions": 0,
            "bundle_version": 1, **extra}


async def device_files(client, token: str) -> dict[str, bytes]:
    """What a device fetches through the API for a first catch-up: the heartbeat, the
    snapshot it names and the device's own profile."""
    from huicui_verifier import bundle as B
    from huicui_verifier.cose import parse

    h = bearer(token)
    beat = await client.get("/api/v1/bundle/heartbeat.cbor", headers=h)
    assert beat.status_code == 200, beat.text
    named = B.decode_map(parse(beat.content).payload)["hash"].hex()
    files = {"heartbeat": beat.content}
    for kind, path in (("snapshot", f"snapshot/{named}.cbor"), ("profile", "profile.cbor")):
        r = await client.get(f"/api/v1/bundle/{path}", headers=h)
        assert r.status_code == 200, r.text
        files[kind] = r.content
    return files


async def device_bundle(client, token: str):
    """The data a device decides with after catching up through the API (the bundle key
    taken from the snapshot, as on first enrollment)."""
    from huicui_verifier import bundle as B

    files = await device_files(client, token)
    pinned = B.open_file(files["snapshot"], "snapshot", pinned_key=None).payload.bundle_key
    return B.open_bundle(
        files["snapshot"], files["heartbeat"], files["profile"], pinned_key=pinned
    )
