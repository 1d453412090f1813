"""The public key set at ``/.well-known/huicui/jwks.json``: any stock COSE library verifies
HB1 with it, as a partner's gate system would.

Active and retired certificate keys are listed; compromised keys are left out, so a
consumer that reads only ``kid`` and ``x`` (and ignores ``huicui_state``) can no longer
verify anything a compromised key signed. Huicui's own verifiers learn about
compromised keys from the signed bundle, which lists them by name so they are refused
with the reason "unknown or compromised key". ``nbf`` and ``exp`` bound when the key
signed (a certificate's ``iat`` must fall inside), as in the bundle; a retired key's
certificates stay valid until their own ``exp``.
"""

from __future__ import annotations

import base64
from typing import Any

from huicui.issuance.keys import issuer_keys

CACHE_CONTROL = "public, max-age=300"


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


async def jwks() -> dict[str, Any]:
    """``{"keys": [...]}`` with one OKP/Ed25519 JWK per active or retired certificate key."""
    keys = []
    for key in await issuer_keys():
        if key.state == "compromised":
            continue
        jwk: dict[str, Any] = {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url(key.public_key),
            "kid": b64url(key.kid),
            "alg": "EdDSA",
            "use": "sig",
            "huicui_state": key.state,
            "nbf": key.not_before,
        }
        if key.not_after is not None:
            jwk["exp"] = key.not_after
        keys.append(jwk)
    return {"keys": keys}
