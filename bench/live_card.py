"""11. The live phone card (HB2): its QR size beside the static card, and decisions per second.

Size: a three-character Chinese name and all ten benefits, bound to a phone key, with a
fresh proof, at error correction L (what the holder page draws), beside the same card as
a static HB1 code at M; other name lengths for the margin. Speed: ``decide`` of that HB2
text against raw Ed25519 verification, interleaved in rounds in one process as in
measurement 2 but timed in this process's CPU time. An HB2 decision verifies two
signatures, so 0.5 of raw is the ceiling.
"""

from __future__ import annotations

import time

from benchlib import (
    ISSUER_LABEL,
    KID,
    NOW,
    NOW_TS,
    Bench,
    Outcome,
    interleaved_rates,
    load_bundle,
    make_bundle,
    median,
    random_revoked,
    rate,
    seeded_key,
    typical_claims,
)

NAME = "hb2"
TITLE = "Live phone card (HB2): QR size at L beside the static card, decisions vs raw verify"
TARGET_VERSION = 10  # 57×57 modules
TARGET_RATIO = 0.42
CEILING = 0.5  # two signatures
PHONE_LABEL = "huicui-bench/phone"
NAMES = ("李晓明", "欧阳晓明", "欧阳晓明明", "买买提明明明", "阿卜杜热合曼明")
REVOKED_IN_BUNDLE = 10_000


def _version(text: str, level: str) -> int:
    import zxingcpp

    symbol = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=level)
    return (symbol.to_image(scale=1, add_quiet_zones=False).shape[0] - 17) // 4


def _live_text(name: str) -> tuple[str, bytes]:
    from huicui_verifier import bundle, hb1, hb2

    phone = seeded_key(PHONE_LABEL)
    claims = typical_claims(name=name)
    bound_claims = hb1.CertificateClaims(
        claims.iss,
        NOW_TS - 3600,
        claims.exp,
        claims.cti,
        claims.name,
        claims.id_last4,
        claims.benefits,
    )
    bound = hb2.sign_bound(
        bound_claims, bundle.raw_public_key(phone), seeded_key(ISSUER_LABEL), KID
    )
    return hb2.encode(bound, NOW_TS - 4, phone), bound


def run(bench: Bench) -> Outcome:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from huicui_verifier import base45, cose, hb1, hb2
    from huicui_verifier.decide import decide

    out = Outcome(NAME, TITLE)
    task = bench.task("HB2 sizes by name length", len(NAMES))
    rows = []
    for name in NAMES:
        text, _ = _live_text(name)
        static = hb1.encode(typical_claims(name=name), seeded_key(ISSUER_LABEL), KID)
        rows.append(
            {
                "name_chars": len(name),
                "hb2_bytes": len(base45.decode(text[len(hb2.PREFIX) :])),
                "hb2_chars": len(text),
                "hb2_version_L": _version(text, "L"),
                "hb1_chars": len(static),
                "hb1_version_M": _version(static, "M"),
            }
        )
        task.advance()
    task.done()
    typical = rows[0]
    version = typical["hb2_version_L"]
    out.add(
        "HB2 QR version at L",
        version,
        "",
        TARGET_VERSION,
        "<=",
        f"{17 + 4 * version}×{17 + 4 * version} modules",
    )
    out.add("HB2 size", typical["hb2_bytes"], "bytes", note="bound certificate + proof")
    out.add(
        "HB2 text (HB2: + Base45)",
        typical["hb2_chars"],
        "chars",
        note="version 10 at L holds 395 alphanumeric characters",
    )
    out.add(
        "static card (HB1) QR version at M",
        typical["hb1_version_M"],
        "",
        note=f"{typical['hb1_chars']} chars; the static card is unchanged",
    )

    text, _ = _live_text(NAMES[0])
    files, pinned = make_bundle(random_revoked(REVOKED_IN_BUNDLE))
    loaded = load_bundle(files, pinned)

    def no_history(cti: str, benefit: int) -> list:
        return []

    def never_seen(proof: bytes) -> bool:
        return False

    first = decide(
        text, bundle=loaded, benefit=None, now=NOW, history_lookup=no_history, proof_seen=never_seen
    )
    if not first.accepted:
        raise RuntimeError(f"the benchmark live card was refused: {first.reason}")
    decoded = hb1.decode(hb1.encode(typical_claims(), seeded_key(ISSUER_LABEL), KID))
    pub = Ed25519PublicKey.from_public_bytes(loaded.keys[KID].pub)
    message = cose.sig_structure(decoded.protected, decoded.payload)
    signature = decoded.signature

    def one_decision() -> None:
        decide(
            text,
            bundle=loaded,
            benefit=None,
            now=NOW,
            history_lookup=no_history,
            proof_seen=never_seen,
        )

    def one_raw() -> None:
        pub.verify(signature, message)

    rounds, per_round = bench.size(20, 5), bench.size(400, 150)
    task = bench.task("HB2 decide vs raw verify, interleaved", rounds)
    # CPU time of this process, not wall time: on the shared two-core machine a
    # neighbour's burst then slows neither side of a ratio (wall-time rounds varied from
    # 0.27 to 0.45 under load; CPU-time rounds stay within a few hundredths).
    ratios, decide_rates, raw_rates = interleaved_rates(
        task, one_decision, one_raw, rounds, per_round, time.process_time
    )
    ratio = median(ratios)
    out.add(
        "HB2 decision / raw verify (median of rounds)",
        round(ratio, 3),
        "",
        TARGET_RATIO,
        ">=",
        f"two signatures: {CEILING} is the ceiling",
    )
    out.add("HB2 decisions per second (median)", round(median(decide_rates)), "/s")
    out.add("raw Ed25519 verifications per second (median)", round(median(raw_rates)), "/s")

    n = bench.size(2000, 400)
    steps = {
        "decode": ("HB2 decode (Base45, both COSE_Sign1, claims, proof)", lambda: hb2.decode(text)),
        "proof_id": ("proof id (sha256)", lambda: hb2.proof_id(hb2.decode(text))),
    }
    us = {}
    raw_us = 1e6 / median(raw_rates)
    for k, (_, fn) in steps.items():
        pairs = [
            (1 / rate(fn, n, time.process_time)) * rate(one_raw, n, time.process_time)
            for _ in range(3)
        ]
        us[k] = round(median(pairs) * raw_us, 1)
    whole = raw_us / ratio
    out.details = {
        "by_name_length": rows,
        "rounds": rounds,
        "per_round": per_round,
        "ratios": [round(x, 3) for x in ratios],
        "microseconds": {
            "raw verify": round(raw_us, 1),
            "whole HB2 decision": round(whole, 1),
            **{steps[k][0]: v for k, v in us.items()},
        },
    }
    out.notes.append(
        "Sizes by name length (HB2 at L / static at M): "
        + ", ".join(
            f"{r['name_chars']} chars → v{r['hb2_version_L']} ({r['hb2_chars']}) / "
            f"v{r['hb1_version_M']}"
            for r in rows
        )
        + ". Names of up to six Chinese characters keep the live card at version 10."
    )
    out.notes.append(
        f"Per HB2 decision {whole:.0f} µs against {raw_us:.0f} µs of one raw verification: "
        f"two verifications are {2 * raw_us:.0f} µs, so {whole - 2 * raw_us:.0f} µs go to "
        f"everything else (HB2 decode {us['decode']:.0f} µs including the checks that the "
        "bytes are deterministic, the proof id, key objects, the decision logic; the two "
        "verifications also run slower interleaved with Python than in a tight loop)."
    )
    if ratio < TARGET_RATIO:
        out.notes.append(
            f"Missed: {ratio:.3f} of raw, {TARGET_RATIO - ratio:.3f} short; reaching "
            f"{TARGET_RATIO} leaves {raw_us / TARGET_RATIO - 2 * raw_us:.0f} µs beside the two "
            "signatures. On a loaded machine the per-round ratios vary widely."
        )
    else:
        out.notes.append(
            f"Reached: {ratio:.3f} of raw, {ratio / CEILING:.0%} of the two-signature ceiling."
        )
    return out
