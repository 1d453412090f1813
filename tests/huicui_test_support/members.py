"""People on the roster, made through the HTTP API as staff would: the one ``active_member``."""

from __future__ import annotations

import itertools
from typing import Any

from huicui.testing import approve_member

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_serial = itertools.count(100)


def resident_id(serial: int | None = None) -> str:
    """A valid 18-character resident ID (GB 11643 check digit), different each call."""
    body = f"11010519491231{(serial if serial is not None else next(_serial)) % 1000:03d}"
    return body + _CHECK[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


async def identity(client, tokens, name: str = "李晓明", **extra: Any) -> dict:
    """Record a person (registrar); the answer plus the plain ID number and phone sent."""
    body = {"display_name": name, "id_doc": resident_id(), "phone": "13800138000",
            "field": "海洋生物学", "residency": "seasonal", "source": "银海区派出所", **extra}
    r = await client.post("/api/v1/identities", json=body, headers=tokens.h("registrar"))
    assert r.status_code == 201, r.text
    return {**r.json(), "id_doc_plain": body.get("id_doc"), "phone_plain": body.get("phone")}


async def active_member(
    client,
    tokens,
    name: str = "李晓明",
    *,
    directory_id: int | None = None,
    descendants: int | list[dict] = 0,
    **identity_fields: Any,
) -> dict:
    """Record a person, nominate (registrar) and approve (reviewer) them.

    Returns the approved membership as the API answers it (``id``, ``state``,
    ``certificate_id``, …) with ``membership_id`` and ``cti`` (the same values under the
    names the sync tests use), ``text`` (the certificate's QR text, when one was issued)
    and ``person`` (the identity, with the plain ID number and phone that were sent).
    ``descendants`` is a count of children to register, or the list to send as it is.
    """
    if isinstance(descendants, list):
        identity_fields["descendants"] = descendants
    elif descendants:
        identity_fields["descendants"] = [
            {"name": f"子{i}", "relation": "child"} for i in range(descendants)]
    person = await identity(client, tokens, name, **identity_fields)
    membership = await approve_member(client, tokens.h, person["id"], directory_id=directory_id)
    out = {**membership, "membership_id": membership["id"], "cti": membership["certificate_id"],
           "person": person, "text": None}
    if membership["certificate_id"]:
        out["text"] = (await certificate(client, tokens, membership["certificate_id"]))["text"]
    return out


async def certificate(client, tokens, cti: str) -> dict:
    """A certificate as staff see it (``GET /api/v1/certificates/{cti}``)."""
    r = await client.get(f"/api/v1/certificates/{cti}", headers=tokens.h("auditor"))
    assert r.status_code == 200, r.text
    return r.json()


async def audit_actions(client, tokens, target_type: str, target_id) -> list[str]:
    """The audit log's actions on one target, newest first."""
    r = await client.get("/api/v1/audit", headers=tokens.h("auditor"),
                         params={"target_type": target_type, "target_id": str(target_id)})
    assert r.status_code == 200, r.text
    return [e["action"] for e in r.json()["items"]]
