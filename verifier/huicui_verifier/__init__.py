"""Huicui offline verifier: read HB1 certificates and HB2 phone cards, decide, log, sync.

Modules other distributions may import (the public surface; ``docs/verifier.md`` lists
every name, and ``tests/verifier/test_surface.py`` holds both to it): ``hb1`` (the
certificate format), ``hb2`` (the live phone card), ``bundle`` (the signed bundle files
of format 2), ``delta`` (a delta between two snapshots), ``catchup`` (the published file
layout and a device's catch-up), ``policy`` (redemption policy and its evaluator),
``decide`` (the offline decision), ``records`` (sync wire shapes), ``revocations`` (the
packed revocation list), ``cbor_check`` (the deterministic CBOR every format uses),
``clock`` (the program's time zone and dates), ``reasons`` (every text staff read).
Every other module is the verifier's own: ``huicui-verify`` and the kiosk are its front
ends, not libraries.
"""

__version__ = "0.1.0"

PUBLIC_MODULES = (
    "hb1",
    "hb2",
    "bundle",
    "delta",
    "catchup",
    "policy",
    "decide",
    "records",
    "revocations",
    "cbor_check",
    "clock",
    "reasons",
)
"""The modules of the public surface, in the order ``docs/verifier.md`` lists them."""
