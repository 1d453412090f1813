"""1. QR density: the version a typical certificate needs at error correction M.

Typical: a three-character Chinese name and all ten benefits, signed with a real
Ed25519 key, rendered by the service's own QR code (``huicui.issuance.cards``).
"""

from __future__ import annotations

from benchlib import ISSUER_LABEL, KID, Bench, Outcome, seeded_key, typical_claims

NAME = "qr"
TITLE = "QR density (typical certificate, error correction M)"
TARGET_VERSION = 8
DCC_MEDIAN = "version 18 at Q (EU Digital COVID Certificate median)"
NAMES = ("李晓明", "欧阳晓明", "欧阳晓明明", "买买提明明明", "阿卜杜热合曼明")


def _alnum_capacity(version: int) -> int:
    """Longest alphanumeric text that fits ``version`` at M (found with the same renderer)."""
    from huicui.issuance.cards import qr_version

    low, high = 1, 600
    while low < high:
        mid = (low + high + 1) // 2
        if qr_version("A" * mid) <= version:
            low = mid
        else:
            high = mid - 1
    return low


def run(bench: Bench) -> Outcome:
    from huicui.issuance.cards import qr_version
    from huicui_verifier import base45, hb1

    out = Outcome(NAME, TITLE)
    key = seeded_key(ISSUER_LABEL)
    task = bench.task("QR versions by name length", len(NAMES))
    rows = []
    for name in NAMES:
        text = hb1.encode(typical_claims(name=name), key, KID)
        rows.append(
            {
                "name_chars": len(name),
                "cose_bytes": len(base45.decode(text[len(hb1.PREFIX) :])),
                "text_chars": len(text),
                "version": qr_version(text),
            }
        )
        task.advance()
    task.done()
    typical = rows[0]
    version = typical["version"]
    modules = 17 + 4 * version
    out.add("QR version", version, "", TARGET_VERSION, "<=", f"for scale: {DCC_MEDIAN}")
    out.add("modules per side", modules, "", note="without the 4-module quiet zone")
    out.add("COSE_Sign1 size", typical["cose_bytes"], "bytes")
    out.add("QR text (HB1: + Base45)", typical["text_chars"], "chars")
    capacity = {v: _alnum_capacity(v) for v in (version - 1, version)}
    out.details = {"by_name_length": rows, "alnum_capacity_at_M": capacity}
    spare = capacity[version] - typical["text_chars"]
    out.notes.append(
        f"Version {version} at M holds {capacity[version]} alphanumeric characters; the "
        f"typical certificate uses {typical['text_chars']}, leaving {spare} spare "
        f"(about {spare * 2 // 3} bytes, i.e. {spare * 2 // 9} more CJK characters in the name)."
    )
    longest_v = max(r["version"] for r in rows)
    out.notes.append(
        "Names of 3–7 characters: versions "
        + ", ".join(f"{r['name_chars']}→v{r['version']}" for r in rows)
        + f" (the worst here is v{longest_v})."
    )
    need = typical["text_chars"] - capacity[version - 1]
    out.notes.append(
        f"A harder target, version {version - 1} ({modules - 4}×{modules - 4}), needs "
        f"≤ {capacity[version - 1]} characters: {need} fewer, about {need * 2 // 3 + 1} "
        "bytes less — more than the whole name or the id's last four, so it would mean a "
        "shorter signature scheme, not trimming claims."
    )
    return out
