"""Generate the test vectors in ``tests/vectors/`` (fixed seeds and times): the manifest,
the decision vectors (``hb1/``) and the catch-up vectors of bundle format 2 (``bundle/``).

Run ``python tests/vectors/generate.py`` after changing a format or the decision; a
test fails while the committed files differ from what this script writes.
``tests/vectors/README.md`` tells another implementation how to run them.

This module is also the shared fixture kit of ``tests/verifier``: keys, the benefit
table, bundle and certificate builders, and raw COSE builders for hostile input.
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cbor2
import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from huicui_verifier import base45, bundle, cbor_check, cose, hb1, hb2, revocations
from huicui_verifier.policy import BenefitInfo, Hours, Limit, Policy

# --- keys and times -----------------------------------------------------------------


def key_from_seed(label: str) -> Ed25519PrivateKey:
    """A deterministic Ed25519 key: the seed is sha256 of ``label``."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())


ISSUER = key_from_seed("huicui-vectors/issuer-active")
RETIRED = key_from_seed("huicui-vectors/issuer-retired")
COMPROMISED = key_from_seed("huicui-vectors/issuer-compromised")
STRANGER = key_from_seed("huicui-vectors/issuer-unknown")
BUNDLE_SIGNER = key_from_seed("huicui-vectors/bundle")
OTHER_BUNDLE_SIGNER = key_from_seed("huicui-vectors/bundle-other")

KID_ACTIVE = bytes.fromhex("a1000001")
KID_RETIRED = bytes.fromhex("a1000002")
KID_COMPROMISED = bytes.fromhex("a1000003")
KID_UNKNOWN = bytes.fromhex("a10000ff")

DAY = 86400
# Monday 2026-03-02 10:00 in Asia/Shanghai (02:00 UTC): inside the scenic spot's hours.
T0 = int(datetime(2026, 3, 2, 2, 0, tzinfo=UTC).timestamp())
CERT_IAT = T0 - 30 * DAY
CERT_EXP = T0 + 335 * DAY
RETIRED_UNTIL = T0 - 60 * DAY

ALL_BENEFITS = tuple(range(1, 11))


def at(ts: int) -> datetime:
    """An aware datetime for epoch seconds."""
    return datetime.fromtimestamp(ts, UTC)


CTI = bytes.fromhex("0123456789abcdef")
REVOKED_CTI = bytes.fromhex("7e7e7e7e00000001")

# --- the benefit table --------------------------------------------------------------


def benefit_table() -> tuple[BenefitInfo, ...]:
    """The ten built-in benefits (docs/plugins.md) with plausible policies."""

    def b(
        code: int, slug: str, zh: str, en: str, cat: str, kinds: tuple[str, ...], policy: Policy
    ) -> BenefitInfo:
        return BenefitInfo(
            code=code,
            slug=slug,
            name_zh=zh,
            name_en=en,
            category=cat,
            venue_kinds=kinds,
            policy=policy,
        )

    return (
        b(
            1,
            "scenic",
            "景区免费游览",
            "Free entry to scenic spots",
            "leisure",
            ("scenic",),
            Policy(
                effect="free",
                limits=(Limit(1, "day"),),
                companions=1,
                hours=(Hours("08:00", "18:00"),),
                message_zh="请走绿色通道",
                message_en="Use the green lane",
            ),
        ),
        b(
            2,
            "ferry",
            "北涠线客轮免费乘船",
            "Free Beihai–Weizhou ferry",
            "transport",
            ("ferry",),
            Policy(effect="free", limits=(Limit(2, "week"),)),
        ),
        b(3, "bus", "市内公交免费", "Free city bus", "transport", ("bus",), Policy(effect="free")),
        b(
            4,
            "vip_lane",
            "贵宾快速通道",
            "VIP fast lane",
            "service",
            ("counter",),
            Policy(effect="priority"),
        ),
        b(
            5,
            "hotel",
            "指定酒店协议价",
            "Agreement rate at designated hotels",
            "leisure",
            ("hotel",),
            Policy(effect="discount", percent_off=20, limits=(Limit(4, "month", "venue"),)),
        ),
        b(
            6,
            "workstation",
            "工作站免费使用",
            "Free use of workstations",
            "service",
            ("workstation",),
            Policy(effect="booking"),
        ),
        b(
            7,
            "school",
            "子女优先择校",
            "Priority school choice for children",
            "family",
            ("school",),
            Policy(effect="priority", limits=(Limit(1, "year"),)),
        ),
        b(
            8,
            "medical",
            "副高以上专家优先预约",
            "Priority appointments with senior experts",
            "health",
            ("hospital",),
            Policy(effect="priority", limits=(Limit(4, "month"),)),
        ),
        b(
            9,
            "housing",
            "购房支持",
            "Housing-purchase support",
            "family",
            ("counter",),
            Policy(effect="priority", limits=(Limit(1, "year"),)),
        ),
        b(
            10,
            "training",
            "培训课程免费名额",
            "Free places in training courses",
            "learning",
            ("training",),
            Policy(effect="free", limits=(Limit(2, "month", "venue"),)),
        ),
    )


# --- builders -----------------------------------------------------------------------


def raw_key(private: Ed25519PrivateKey) -> bytes:
    """32 raw public-key bytes."""
    return bundle.raw_public_key(private)


VENUE = {
    "id": 501,
    "name_zh": "银滩景区南门",
    "name_en": "Silver Beach, south gate",
    "kind": "scenic",
    "partner_id": 50,
    "benefits": (1,),
    "fail_mode": "open",
}


def make_snapshot(**overrides: Any) -> bundle.Snapshot:
    """A snapshot payload (version 7, three keys, three revocations); override any field."""
    signer = overrides.pop("signer", BUNDLE_SIGNER)
    fields: dict[str, Any] = {
        "program": "BH",
        "program_name": bundle.LocalizedName(zh="荟萃北海", en="Huicui Beihai"),
        "version": 7,
        "iat": T0 - DAY,
        "bundle_key": raw_key(signer),
        "keys": (
            bundle.KeyEntry(
                kid=KID_ACTIVE, pub=raw_key(ISSUER), state="active", nbf=T0 - 400 * DAY
            ),
            bundle.KeyEntry(
                kid=KID_RETIRED,
                pub=raw_key(RETIRED),
                state="retired",
                nbf=T0 - 800 * DAY,
                exp=RETIRED_UNTIL,
            ),
            bundle.KeyEntry(
                kid=KID_COMPROMISED,
                pub=raw_key(COMPROMISED),
                state="compromised",
                nbf=T0 - 800 * DAY,
            ),
        ),
        "revoked": revocations.pack(
            [REVOKED_CTI, bytes.fromhex("0000000000000001"), bytes.fromhex("ffffffffffffffff")]
        ),
        "benefits": benefit_table(),
        "directories": {
            1: bundle.LocalizedName(zh="荟萃北海", en="Huicui Beihai"),
            3: bundle.LocalizedName(zh="候鸟人才", en="Seasonal talents"),
        },
    }
    fields.update(overrides)
    return bundle.Snapshot(**fields)


def make_profile(
    program: str = "BH", rev: int = T0 - 30 * DAY, **venue: Any
) -> bundle.VenueProfile:
    """The scenic-spot venue's profile (fail open); override any field."""
    return bundle.VenueProfile(program=program, rev=rev, **{**VENUE, **venue})


def make_heartbeat(
    snapshot_file: bytes, *, iat: int = T0 - DAY, exp: int = T0 + 6 * DAY, **over: Any
) -> bundle.Heartbeat:
    """A heartbeat vouching for ``snapshot_file`` (a signed snapshot) from ``iat`` to ``exp``."""
    payload = cose.parse(snapshot_file).payload
    snap = bundle.from_map(bundle.decode_map(payload), "snapshot")
    fields = {
        "program": snap.program,
        "version": snap.version,
        "hash": bundle.content_hash(payload),
        "iat": iat,
        "exp": exp,
        **over,
    }
    return bundle.Heartbeat(**fields)


class BundleFiles:
    """A snapshot, its heartbeat and a profile, signed: what a publisher writes."""

    def __init__(self, snapshot: bytes, heartbeat: bytes | None, profile: bytes, venue: int):
        self.snapshot, self.heartbeat, self.profile, self.venue = (
            snapshot,
            heartbeat,
            profile,
            venue,
        )
        # A newer version a later heartbeat announced that the device could not reach.
        self.announced: int | None = None

    @property
    def snapshot_hash(self) -> bytes:
        """The payload hash that names the snapshot."""
        return bundle.content_hash(cose.parse(self.snapshot).payload)

    def layout(self) -> dict[str, bytes]:
        """File name → bytes, as ``huicui bundle publish`` lays them out."""
        out = {
            f"snapshot/{self.snapshot_hash.hex()}.cbor": self.snapshot,
            f"profile/{self.venue}.cbor": self.profile,
        }
        if self.heartbeat is not None:
            out["heartbeat.cbor"] = self.heartbeat
        return out

    def write(self, folder: Path) -> Path:
        """Write :meth:`layout` under ``folder``; returns ``folder``."""
        for name, data in self.layout().items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
        return folder


def make_files(
    *,
    signer: Ed25519PrivateKey = BUNDLE_SIGNER,
    venue: dict | None = None,
    iat: int = T0 - DAY,
    exp: int = T0 + 6 * DAY,
    heartbeat: bool = True,
    **snapshot_overrides: Any,
) -> BundleFiles:
    """Signed snapshot, heartbeat (``iat``..``exp``) and profile (``venue`` overrides)."""
    snap = make_snapshot(signer=signer, iat=iat, **snapshot_overrides)
    snapshot_file = bundle.sign(snap, signer)
    profile = make_profile(program=snap.program, **(venue or {}))
    beat = (
        bundle.sign(make_heartbeat(snapshot_file, iat=iat, exp=exp), signer) if heartbeat else None
    )
    return BundleFiles(snapshot_file, beat, bundle.sign(profile, signer), profile.id)


def make_bundle(*, signer: Ed25519PrivateKey = BUNDLE_SIGNER, **overrides: Any) -> bundle.Bundle:
    """The device view of :func:`make_files` (verified with ``signer``'s key)."""
    files = make_files(signer=signer, **overrides)
    return bundle.open_bundle(
        files.snapshot, files.heartbeat, files.profile, pinned_key=raw_key(signer)
    )


def install(home: Path, files: BundleFiles, *, now: int = T0) -> Path:
    """A device home that loaded ``files`` from a folder, as ``huicui-verify load`` does."""
    from huicui_verifier.catchup import DirectorySource, profile_name
    from huicui_verifier.device import DeviceHome
    from huicui_verifier.sync import first_catch_up, start_over

    folder = files.write(home.parent / f"{home.name}-published")
    caught, _ = first_catch_up(
        DirectorySource(folder),
        profile_name(files.venue),
        expected_fingerprint=None,
        now=at(now),
        venue=files.venue,
    )
    start_over(
        DeviceHome(home),
        caught,
        source=str(folder),
        profile_name=profile_name(files.venue),
        loaded_at=now,
    )
    return home


def make_claims(**overrides: Any) -> hb1.CertificateClaims:
    """Claims of a holder with all ten benefits; override any field."""
    fields: dict[str, Any] = {
        "iss": "BH",
        "iat": CERT_IAT,
        "exp": CERT_EXP,
        "cti": CTI,
        "name": "李晓明",
        "id_last4": "123X",
        "benefits": ALL_BENEFITS,
    }
    fields.update(overrides)
    return hb1.CertificateClaims(**fields)


def make_cert(*, key: Ed25519PrivateKey = ISSUER, kid: bytes = KID_ACTIVE, **overrides: Any) -> str:
    """An HB1 text signed by ``key`` under ``kid``."""
    return hb1.encode(make_claims(**overrides), key, kid)


def claims_map(
    top: dict | None = None,
    private: dict | None = None,
    drop_top: tuple[int, ...] = (),
    drop_private: tuple[int, ...] = (),
) -> dict:
    """The CWT claims map as a dict, with labels replaced or dropped, for off-format payloads."""
    c = make_claims()
    inner: dict = {1: c.name, 2: c.id_last4, 3: hb1.benefits_to_bits(c.benefits)}
    inner.update(private or {})
    for label in drop_private:
        inner.pop(label)
    m: dict = {1: c.iss, 4: c.exp, 6: c.iat, 7: c.cti, -65537: inner}
    m.update(top or {})
    for label in drop_top:
        m.pop(label)
    return m


def raw_sign1(
    *,
    protected: dict | bytes | Any = None,
    unprotected: Any = None,
    payload: dict | bytes | Any = None,
    signature: bytes | Any = None,
    key: Ed25519PrivateKey = ISSUER,
    tag: int | None = 18,
    extra_items: tuple = (),
) -> bytes:
    """A COSE_Sign1 from parts that may break the rules, signed correctly over what is given."""
    if protected is None:
        protected = {1: -8, 4: KID_ACTIVE}
    prot_bytes = cbor_check.dumps(protected) if isinstance(protected, dict) else protected
    if payload is None:
        payload = claims_map()
    pay_bytes = cbor_check.dumps(payload) if isinstance(payload, dict) else payload
    if signature is None:
        signed = isinstance(prot_bytes, bytes) and isinstance(pay_bytes, bytes)
        signature = key.sign(cose.sig_structure(prot_bytes, pay_bytes)) if signed else bytes(64)
    items = [
        prot_bytes,
        {} if unprotected is None else unprotected,
        pay_bytes,
        signature,
        *extra_items,
    ]
    obj = items if tag is None else cbor2.CBORTag(tag, items)
    return cbor_check.dumps(obj)


def text_of(raw: bytes) -> str:
    """``HB1:`` + Base45 of raw bytes."""
    return hb1.PREFIX + base45.encode(raw)


def flip_bit(text: str, *, at: int | None = None, inside: bytes | None = None) -> str:
    """The HB1 text with one bit flipped: at raw byte ``at``, or in the middle of ``inside``."""
    raw = bytearray(base45.decode(text[4:]))
    if inside is not None:
        at = bytes(raw).index(inside) + len(inside) // 2
    assert at is not None
    raw[at] ^= 0x01
    return text_of(bytes(raw))


def example_files() -> BundleFiles:
    """The small snapshot, heartbeat and profile shown as the worked example in docs/bundle.md."""
    scenic = benefit_table()[0]
    return make_files(
        keys=(
            bundle.KeyEntry(
                kid=KID_ACTIVE, pub=raw_key(ISSUER), state="active", nbf=T0 - 400 * DAY
            ),
        ),
        revoked=revocations.pack([REVOKED_CTI, bytes.fromhex("0000000000000001")]),
        benefits=(scenic,),
        directories={},
    )


# --- the vectors --------------------------------------------------------------------


def _decision(
    description: str,
    input_text: str,
    *,
    expected: tuple[bool, str],
    now: int = T0,
    benefit: int | None = None,
    bundle_name: str | None = "default",
    history: tuple[tuple[int, int], ...] = (),
    warnings: tuple[str, ...] = (),
    input_kind: str | None = None,
) -> dict:
    """One decision vector, as the manifest lists it (the bundle by its name)."""
    want: dict[str, Any] = {
        "accepted": expected[0],
        "reason": expected[1],
        "warnings": list(warnings),
    }
    if input_kind is not None:
        want["input_kind"] = input_kind
    return {
        "kind": "decision",
        "description": description,
        "input": input_text,
        "bundle": bundle_name,
        "pinned_key": None if bundle_name is None else raw_key(BUNDLE_SIGNER).hex(),
        "now": now,
        "benefit": benefit,
        "history": [{"at": t, "venue": v} for t, v in history],
        "expected": want,
    }


DEFAULT_FILES = make_files()
BAD = (False, "malformed")


def _malformed_vectors() -> dict[str, dict]:
    good = make_cert()
    raw_good = base45.decode(good[4:])
    cm = claims_map
    nested = b"\x81" * 200 + b"\x00"  # 200 nested one-element arrays
    first_alpha = next(i for i, ch in enumerate(good) if i > 4 and ch.isalpha())
    odd_text = text_of(raw_good if len(raw_good) % 2 else raw_good + b"\x00")
    claims_cbor = cbor_check.dumps(cm())
    even_text = text_of(raw_good[: len(raw_good) // 2 * 2])
    assert claims_cbor[0] == 0xA5
    v: dict[str, tuple[str, str]] = {
        "empty": ("empty input", ""),
        "prefix-wrong": ("prefix HC1: instead of HB1:", "HC1:" + good[4:]),
        "prefix-lowercase": ("lower-case prefix", "hb1:" + good[4:]),
        "prefix-only": ("prefix and nothing else", "HB1:"),
        "prefix-missing": ("Base45 without the prefix", good[4:]),
        "too-long": ("1,025 characters: over the length cap", "HB1:" + "0" * 1021),
        "base45-lowercase": (
            "Base45 with a lower-case letter",
            good[:first_alpha] + good[first_alpha].lower() + good[first_alpha + 1 :],
        ),
        "base45-bad-char": (
            "Base45 with a character outside the alphabet",
            good[:20] + "#" + good[21:],
        ),
        "base45-triplet-overflow": ("Base45 triplet GGW = 65536 > 65535", even_text + "GGW"),
        "base45-pair-overflow": ("final Base45 pair GG = 736 > 255", odd_text[:-2] + "GG"),
        "base45-dangling": ("Base45 length leaves one character over", even_text + "0"),
        "not-cbor": ("Base45 of bytes that are not CBOR", text_of(b"\xff\xfe\xfd")),
        "cbor-truncated": ("COSE_Sign1 cut short by ten bytes", text_of(raw_good[:-10])),
        "trailing-bytes": (
            "valid COSE_Sign1 followed by one extra byte",
            text_of(raw_good + b"\x00"),
        ),
        "no-tag": ("COSE_Sign1 array without tag 18", text_of(raw_sign1(tag=None))),
        "wrong-tag": ("tag 17 (COSE_Mac0) instead of 18", text_of(raw_sign1(tag=17))),
        "tag-98": ("tag 98 (COSE_Sign) instead of 18", text_of(raw_sign1(tag=98))),
        "array-3": (
            "COSE_Sign1 with three items",
            text_of(cbor2.dumps(cbor2.CBORTag(18, list(cbor2.loads(raw_good).value)[:3]))),
        ),
        "array-5": ("COSE_Sign1 with five items", text_of(raw_sign1(extra_items=(b"",)))),
        "not-array": ("tag 18 around a map", text_of(cbor2.dumps(cbor2.CBORTag(18, {1: 2})))),
        "deep-nesting": ("200 nested arrays inside tag 18", text_of(b"\xd2" + nested)),
        "deep-payload": ("claims payload of 200 nested arrays", text_of(raw_sign1(payload=nested))),
        "huge-bstr": (
            "byte string declaring 2^32 bytes",
            text_of(b"\xd2\x84\x5a\xff\xff\xff\xff\x00"),
        ),
        "huge-array": (
            "array declaring 2^63 items",
            text_of(b"\xd2\x9b\x7f\xff\xff\xff\xff\xff\xff\xff"),
        ),
        "indefinite-array": (
            "indefinite-length array",
            text_of(
                b"\xd2\x9f"
                + b"".join(cbor2.dumps(x) for x in cbor2.loads(raw_good).value)
                + b"\xff"
            ),
        ),
        "reserved-info": (
            "reserved additional information 28",
            text_of(b"\xd2\x5c\x00\x00\x00\x00"),
        ),
        "protected-map": (
            "protected header as a map, not a byte string",
            text_of(
                cbor2.dumps(
                    cbor2.CBORTag(
                        18,
                        [{1: -8, 4: KID_ACTIVE}, {}, cbor_check.dumps(cm()), bytes(64)],
                    )
                )
            ),
        ),
        "protected-not-cbor": (
            "protected header bytes are not CBOR",
            text_of(raw_sign1(protected=b"\xff")),
        ),
        "protected-not-map": (
            "protected header is an array",
            text_of(raw_sign1(protected=cbor2.dumps([1, -8]))),
        ),
        "alg-es256": (
            "algorithm -7 (ES256) instead of EdDSA",
            text_of(raw_sign1(protected={1: -7, 4: KID_ACTIVE})),
        ),
        "alg-missing": (
            "no algorithm in the protected header",
            text_of(raw_sign1(protected={4: KID_ACTIVE})),
        ),
        "alg-text": (
            "algorithm given as text 'EdDSA'",
            text_of(raw_sign1(protected={1: "EdDSA", 4: KID_ACTIVE})),
        ),
        "kid-missing": ("no kid in the protected header", text_of(raw_sign1(protected={1: -8}))),
        "kid-3-bytes": ("kid of 3 bytes", text_of(raw_sign1(protected={1: -8, 4: KID_ACTIVE[:3]}))),
        "kid-8-bytes": ("kid of 8 bytes", text_of(raw_sign1(protected={1: -8, 4: KID_ACTIVE * 2}))),
        "kid-text": ("kid as text", text_of(raw_sign1(protected={1: -8, 4: "a100"}))),
        "protected-extra-label": (
            "protected header with content type (3)",
            text_of(raw_sign1(protected={1: -8, 3: 60, 4: KID_ACTIVE})),
        ),
        "unprotected-kid": (
            "kid in the unprotected header too",
            text_of(raw_sign1(unprotected={4: KID_ACTIVE})),
        ),
        "unprotected-not-map": (
            "unprotected header as a byte string",
            text_of(raw_sign1(unprotected=b"")),
        ),
        "payload-nil": (
            "detached payload (nil)",
            text_of(
                cbor2.dumps(
                    cbor2.CBORTag(18, [cose.protected_header(KID_ACTIVE), {}, None, bytes(64)])
                )
            ),
        ),
        "signature-63": ("signature of 63 bytes", text_of(raw_sign1(signature=bytes(63)))),
        "signature-text": ("signature as text", text_of(raw_sign1(signature="sig"))),
        "claims-array": (
            "claims payload is an array",
            text_of(raw_sign1(payload=cbor2.dumps([1, 2, 3]))),
        ),
        "claims-not-cbor": ("claims payload is not CBOR", text_of(raw_sign1(payload=b"\xff\x00"))),
        "claims-trailing": (
            "claims payload with a trailing byte",
            text_of(raw_sign1(payload=cbor_check.dumps(cm()) + b"\x00")),
        ),
        "missing-exp": ("claims without exp (4)", text_of(raw_sign1(payload=cm(drop_top=(4,))))),
        "missing-iat": ("claims without iat (6)", text_of(raw_sign1(payload=cm(drop_top=(6,))))),
        "missing-private": (
            "claims without -65537",
            text_of(raw_sign1(payload={1: "BH", 4: CERT_EXP, 6: CERT_IAT, 7: CTI})),
        ),
        "unknown-claim": (
            "claims with sub (2), not part of HB1",
            text_of(raw_sign1(payload=cm({2: "x"}))),
        ),
        "iss-int": ("iss as an integer", text_of(raw_sign1(payload=cm({1: 42})))),
        "iss-short": ("iss of one character", text_of(raw_sign1(payload=cm({1: "B"})))),
        "iss-long": ("iss of six characters", text_of(raw_sign1(payload=cm({1: "BEIHAI"})))),
        "cti-7": ("cti of 7 bytes", text_of(raw_sign1(payload=cm({7: CTI[:7]})))),
        "cti-text": ("cti as text", text_of(raw_sign1(payload=cm({7: "0123456789abcdef"})))),
        "exp-before-iat": (
            "exp earlier than iat",
            text_of(raw_sign1(payload=cm({4: CERT_IAT - 1}))),
        ),
        "exp-float": ("exp as a float", text_of(raw_sign1(payload=cm({4: float(CERT_EXP)})))),
        "exp-year-10000": (
            "exp after 9999-12-31",
            text_of(raw_sign1(payload=cm({4: 253402300800}))),
        ),
        "iat-negative": ("iat before 1970", text_of(raw_sign1(payload=cm({6: -5})))),
        "private-array": (
            "claim -65537 is an array",
            text_of(raw_sign1(payload=cm({-65537: ["李晓明", "123X", 2046]}))),
        ),
        "name-missing": (
            "private claim without a name",
            text_of(raw_sign1(payload=cm(drop_private=(1,)))),
        ),
        "name-long": (
            "name of 33 characters",
            text_of(raw_sign1(payload=cm(private={1: "名" * 33}))),
        ),
        "name-empty": ("empty name", text_of(raw_sign1(payload=cm(private={1: ""})))),
        "name-control": (
            "name holding a control character",
            text_of(raw_sign1(payload=cm(private={1: "李\n明"}))),
        ),
        "name-bad-utf8": (
            "name whose UTF-8 is broken",
            text_of(
                raw_sign1(
                    payload=bytes.fromhex("a5")
                    + cbor2.dumps(1)
                    + cbor2.dumps("BH")
                    + cbor2.dumps(4)
                    + cbor2.dumps(CERT_EXP)
                    + cbor2.dumps(6)
                    + cbor2.dumps(CERT_IAT)
                    + cbor2.dumps(7)
                    + cbor2.dumps(CTI)
                    + cbor2.dumps(-65537)
                    + b"\xa3\x01\x62\xff\xfe"
                    + b"\x02\x64123X"
                    + b"\x03\x19\x07\xfe"
                )
            ),
        ),
        "id-long": (
            "id_last4 of five characters",
            text_of(raw_sign1(payload=cm(private={2: "2123X"}))),
        ),
        "benefits-negative": (
            "benefit bits negative",
            text_of(raw_sign1(payload=cm(private={3: -2}))),
        ),
        "benefits-bit0": (
            "benefit bit 0 set (there is no code 0)",
            text_of(raw_sign1(payload=cm(private={3: 2047}))),
        ),
        "benefits-list": (
            "benefits as a list of codes instead of bits",
            text_of(raw_sign1(payload=cm(private={3: [1, 2, 3]}))),
        ),
        "benefits-bignum": (
            "benefit bits as a tagged bignum",
            text_of(raw_sign1(payload=cm(private={3: 2**70}))),
        ),
        "directory-default": (
            "directory 1 written out (must be omitted)",
            text_of(raw_sign1(payload=cm(private={4: 1}))),
        ),
        "directory-zero": ("directory 0", text_of(raw_sign1(payload=cm(private={4: 0})))),
        "private-extra": (
            "private claim with an unknown key 5",
            text_of(raw_sign1(payload=cm(private={5: "x"}))),
        ),
        "duplicate-key": (
            "claims map repeating label 1",
            text_of(raw_sign1(payload=b"\xa6\x01\x62XX" + claims_cbor[1:])),
        ),
    }
    # What staff are told the input looks like (docs/verifier.md): a text with the HB1:
    # prefix that does not read is a damaged Huicui code; the rest are named here.
    kinds = {
        "empty": "empty",
        "prefix-wrong": "eu_dcc",
        "prefix-lowercase": "not_huicui",
        "prefix-missing": "not_huicui",
    }
    return {
        name: _decision(desc, text, expected=BAD, input_kind=kinds.get(name, "damaged"))
        for name, (desc, text) in v.items()
    }


def _decision_vectors() -> dict[str, dict]:
    good = make_cert()
    skew = 300
    stale_at = T0 + 7 * DAY
    v = {
        # refusals after a successful decode, in decision order
        "unknown-kid": (
            "kid not in the bundle",
            make_cert(kid=KID_UNKNOWN, key=STRANGER),
            (False, "unknown_key"),
            {},
        ),
        "stranger-key-known-kid": (
            "signed by a stranger under the active kid",
            make_cert(key=STRANGER),
            (False, "bad_signature"),
            {},
        ),
        "compromised-key": (
            "signed by a key marked compromised",
            make_cert(key=COMPROMISED, kid=KID_COMPROMISED),
            (False, "key_compromised"),
            {},
        ),
        "tampered-payload": (
            "one payload byte flipped (the cti)",
            flip_bit(good, inside=CTI),
            (False, "bad_signature"),
            {},
        ),
        "tampered-name": (
            "holder name changed after signing",
            text_of(
                raw_sign1(
                    payload=claims_map(private={1: "王晓明"}),
                    signature=base45.decode(good[4:])[-64:],
                )
            ),
            (False, "bad_signature"),
            {},
        ),
        "tampered-signature": (
            "last signature byte flipped",
            flip_bit(good, at=-1),
            (False, "bad_signature"),
            {},
        ),
        "signature-zero": (
            "all-zero signature",
            text_of(raw_sign1(signature=bytes(64))),
            (False, "bad_signature"),
            {},
        ),
        "retired-key-after-retirement": (
            "retired key used after it was retired",
            make_cert(key=RETIRED, kid=KID_RETIRED, iat=RETIRED_UNTIL + DAY),
            (False, "unknown_key"),
            {},
        ),
        "other-program": (
            "certificate of program HN signed with a known key",
            make_cert(iss="HN"),
            (False, "unknown_key"),
            {},
        ),
        "not-yet-valid": (
            "iat one hour ahead",
            make_cert(iat=T0 + 3600),
            (False, "not_yet_valid"),
            {},
        ),
        "not-yet-valid-past-skew": (
            "iat skew + 1 s ahead",
            make_cert(iat=T0 + skew + 1),
            (False, "not_yet_valid"),
            {},
        ),
        "expired": ("expired a day ago", make_cert(exp=T0 - DAY), (False, "expired"), {}),
        "expired-past-skew": (
            "expired exactly skew seconds ago",
            make_cert(exp=T0 - skew),
            (False, "expired"),
            {},
        ),
        "revoked": ("cti in the revoked list", make_cert(cti=REVOKED_CTI), (False, "revoked"), {}),
        "revoked-expired": (
            "revoked and expired: expiry is checked first",
            make_cert(cti=REVOKED_CTI, exp=T0 - DAY),
            (False, "expired"),
            {},
        ),
        "benefit-not-held": (
            "holder lacks the scenic benefit",
            make_cert(benefits=(2, 3)),
            (False, "benefit_not_held"),
            {},
        ),
        "benefit-not-held-explicit": (
            "asks for scenic, holder has ferry only",
            make_cert(benefits=(2,)),
            (False, "benefit_not_held"),
            {"benefit": 1},
        ),
        "not-honored": (
            "asks for the ferry at a scenic spot",
            good,
            (False, "not_honored"),
            {"benefit": 2},
        ),
        "not-honored-unknown-code": (
            "asks for code 40, held by nobody here",
            make_cert(benefits=(1, 40)),
            (False, "not_honored"),
            {"benefit": 40},
        ),
        "outside-hours": (
            "scenic spot at 19:00 Shanghai",
            good,
            (False, "outside_hours"),
            {"now": T0 + 9 * 3600},
        ),
        "outside-hours-early": (
            "scenic spot at 07:59 Shanghai",
            good,
            (False, "outside_hours"),
            {"now": T0 - 2 * 3600 - 60},
        ),
        "stale-closed": (
            "bundle expired, venue fails closed",
            good,
            (False, "stale_bundle"),
            {"now": stale_at, "bundle": "closed"},
        ),
        "stale-closed-malformed": (
            "malformed input wins over a stale bundle",
            "HB1:",
            BAD,
            {"now": stale_at, "bundle": "closed"},
        ),
        # accepted
        "ok-default-benefit": ("all ten benefits, venue's benefit chosen", good, (True, "ok"), {}),
        "ok-explicit-benefit": ("asks for scenic (1)", good, (True, "ok"), {"benefit": 1}),
        "ok-retired-key": (
            "retired key, certificate issued before retirement",
            make_cert(key=RETIRED, kid=KID_RETIRED, iat=RETIRED_UNTIL - DAY),
            (True, "ok"),
            {},
        ),
        "ok-within-skew-before-iat": (
            "iat 299 s ahead: inside skew",
            make_cert(iat=T0 + skew - 1),
            (True, "ok"),
            {},
        ),
        "ok-within-skew-after-exp": (
            "expired 299 s ago: inside skew",
            make_cert(exp=T0 - skew + 1),
            (True, "ok"),
            {},
        ),
        "ok-stale-open": (
            "bundle expired, venue fails open: accepted with a warning",
            good,
            (True, "ok"),
            {"now": stale_at, "warnings": ("stale_bundle",)},
        ),
        "ok-directory-3": (
            "certificate from directory 3",
            make_cert(directory=3),
            (True, "ok"),
            {},
        ),
        "ok-one-benefit": ("only the scenic benefit", make_cert(benefits=(1,)), (True, "ok"), {}),
        "ok-four-char-name": ("four-character name", make_cert(name="欧阳晓明"), (True, "ok"), {}),
        "ok-long-name": (
            "32-character name, the maximum",
            make_cert(name="名" * 32),
            (True, "ok"),
            {},
        ),
        "ok-latin-name": (
            "Latin name with spaces",
            make_cert(name="Anna Müller-Lee"),
            (True, "ok"),
            {},
        ),
        "ok-short-id": ("id_last4 of one character", make_cert(id_last4="7"), (True, "ok"), {}),
        "ok-iss-4": (
            "four-character program code",
            make_cert(iss="BHAI"),
            (True, "ok"),
            {"bundle": "program-bhai"},
        ),
        "ok-opening-minute": (
            "scenic spot at 08:00 Shanghai exactly",
            good,
            (True, "ok"),
            {"now": T0 - 2 * 3600},
        ),
        "ok-ferry": (
            "ferry port, benefit chosen by venue",
            good,
            (True, "ok"),
            {"bundle": "ferry"},
        ),
        "ok-ferry-by-code": (
            "ferry port, benefit 2 asked",
            good,
            (True, "ok"),
            {"bundle": "ferry", "benefit": 2},
        ),
        "ok-multi-lowest": (
            "counter honoring 4 and 9: lowest held is used",
            make_cert(benefits=(9, 4)),
            (True, "ok"),
            {"bundle": "counter"},
        ),
        "ok-multi-only-9": (
            "counter honoring 4 and 9, holder has 9",
            make_cert(benefits=(9,)),
            (True, "ok"),
            {"bundle": "counter"},
        ),
        "ok-high-code": ("holder also has code 63", make_cert(benefits=(1, 63)), (True, "ok"), {}),
        "ok-last-second": (
            "one second before exp + skew",
            make_cert(exp=T0 - skew + 1),
            (True, "ok"),
            {},
        ),
        "ok-sunday": (
            "scenic spot on Sunday at noon (hours without weekdays: every day)",
            good,
            (True, "ok"),
            {"now": T0 + 6 * DAY + 2 * 3600, "bundle": "sunday"},
        ),
        "ok-bundle-clock-behind": (
            "device clock before the bundle iat: warning only",
            good,
            (True, "ok"),
            {"now": T0 - DAY - 3600, "warnings": ("clock_behind",)},
        ),
    }
    v.update(_boundary_vectors())
    out = {}
    for name, (desc, text, expected, opts) in v.items():
        out[name] = _decision(
            desc,
            text,
            expected=expected,
            now=opts.get("now", T0),
            benefit=opts.get("benefit"),
            bundle_name=opts.get("bundle", "default"),
            history=opts.get("history", ()),
            warnings=opts.get("warnings", ()),
            input_kind="damaged" if expected == BAD else None,
        )
    out["no-bundle"] = _decision(
        "no bundle held: nothing is decided", good, expected=(False, "no_bundle"), bundle_name=None
    )
    return out


# --- named bundles ------------------------------------------------------------------


def _with_policy(code: int, policy: Policy) -> tuple[BenefitInfo, ...]:
    """The benefit table with benefit ``code``'s policy replaced."""
    return tuple(
        msgspec.structs.replace(b, policy=policy) if b.code == code else b for b in benefit_table()
    )


def _bundles() -> dict[str, BundleFiles]:
    """Every file set the decision vectors use, by the name the manifest gives it."""
    behind = make_files()
    behind.announced = 8  # a heartbeat for v8 came, the snapshot v8 could not be fetched
    weekday_scenic = Policy(
        effect="free",
        limits=(Limit(1, "day"),),
        hours=(Hours("08:00", "18:00", (1, 2, 3, 4, 5)),),
    )
    return {
        "default": DEFAULT_FILES,
        "closed": make_files(venue={"fail_mode": "closed"}),
        "ferry": make_files(
            venue={
                "id": 601,
                "kind": "ferry",
                "name_zh": "北海国际客运港",
                "name_en": "Beihai ferry port",
                "benefits": (2,),
            }
        ),
        "counter": make_files(
            venue={
                "id": 701,
                "kind": "counter",
                "name_zh": "市民服务中心",
                "name_en": "Citizen service hall",
                "benefits": (4, 9),
            }
        ),
        "hotel": make_files(
            venue={
                "id": 801,
                "kind": "hotel",
                "name_zh": "银海宾馆",
                "name_en": "Yinhai Hotel",
                "benefits": (5,),
            }
        ),
        "honors-nothing": make_files(venue={"benefits": ()}),
        "program-bhai": make_files(program="BHAI"),
        "sunday": make_files(version=8, iat=T0 + 5 * DAY, exp=T0 + 12 * DAY),
        "weekdays-only": make_files(benefits=_with_policy(1, weekday_scenic)),
        "behind": behind,
    }


# --- boundaries, limits with a history, text rules, encodings, foreign codes ------------

HOUR = 3600
# T0 is Monday 10:00 in Shanghai: its local midnight is ten hours earlier.
MIDNIGHT = T0 - 10 * HOUR


def _boundary_vectors() -> dict[str, tuple]:
    skew = 300
    ok, good = (True, "ok"), make_cert()
    active_nbf = T0 - 400 * DAY
    return {
        # freshness: stale from the heartbeat's exp on; clock behind once now < iat - skew
        "ok-stale-boundary": (
            "fail-closed venue one second before the heartbeat's exp: not stale yet",
            good,
            ok,
            {"now": T0 + 6 * DAY - 1, "bundle": "closed"},
        ),
        "stale-closed-at-exp": (
            "fail-closed venue at exactly the heartbeat's exp: stale from that second on",
            good,
            (False, "stale_bundle"),
            {"now": T0 + 6 * DAY, "bundle": "closed"},
        ),
        "ok-bundle-behind": (
            "a heartbeat announced v8, the device still holds v7 (fresh): accepted, warned",
            good,
            ok,
            {"bundle": "behind", "warnings": ("bundle_behind",)},
        ),
        "ok-clock-at-iat-minus-skew": (
            "device clock exactly skew seconds before the bundle iat: no warning",
            good,
            ok,
            {"now": T0 - DAY - skew},
        ),
        "ok-clock-behind-one-second": (
            "device clock skew + 1 s before the bundle iat: warning",
            good,
            ok,
            {"now": T0 - DAY - skew - 1, "warnings": ("clock_behind",)},
        ),
        # certificate and key validity at the skew boundaries
        "ok-iat-at-skew": ("iat exactly skew seconds ahead", make_cert(iat=T0 + skew), ok, {}),
        "ok-retired-key-at-exp-plus-skew": (
            "retired key, certificate issued exactly skew seconds after the key's exp",
            make_cert(key=RETIRED, kid=KID_RETIRED, iat=RETIRED_UNTIL + skew),
            ok,
            {},
        ),
        "retired-key-one-second-late": (
            "retired key, certificate issued skew + 1 s after the key's exp",
            make_cert(key=RETIRED, kid=KID_RETIRED, iat=RETIRED_UNTIL + skew + 1),
            (False, "unknown_key"),
            {},
        ),
        "ok-key-at-nbf-minus-skew": (
            "certificate issued exactly skew seconds before the key's nbf",
            make_cert(iat=active_nbf - skew),
            ok,
            {},
        ),
        "key-before-nbf-past-skew": (
            "certificate issued skew + 1 s before the key's nbf",
            make_cert(iat=active_nbf - skew - 1),
            (False, "unknown_key"),
            {},
        ),
        "ok-largest-exp": (
            "exp at the largest timestamp, 253402128000 (9999-12-30)",
            make_cert(exp=hb1.MAX_TIMESTAMP),
            ok,
            {},
        ),
        # opening hours: opens <= minute < closes, ISO weekdays (1 = Monday)
        "ok-last-open-second": (
            "scenic spot (08:00-18:00) at 17:59:59",
            good,
            ok,
            {"now": T0 + 8 * HOUR - 1},
        ),
        "outside-hours-closing-minute": (
            "scenic spot (08:00-18:00) at 18:00:00: the closing minute is outside",
            good,
            (False, "outside_hours"),
            {"now": T0 + 8 * HOUR},
        ),
        "ok-weekday-friday": (
            "hours on weekdays 1-5, Friday 10:00",
            good,
            ok,
            {"now": T0 + 4 * DAY, "bundle": "weekdays-only"},
        ),
        "outside-hours-saturday": (
            "hours on weekdays 1-5 (1 = Monday), Saturday 10:00",
            good,
            (False, "outside_hours"),
            {"now": T0 + 5 * DAY, "bundle": "weekdays-only"},
        ),
        # what a venue honors
        "not-honored-venue-honors-nothing": (
            "the venue honors no benefit at all",
            good,
            (False, "not_honored"),
            {"bundle": "honors-nothing"},
        ),
        "not-honored-nothing-explicit": (
            "asks for scenic at a venue that honors nothing",
            good,
            (False, "not_honored"),
            {"bundle": "honors-nothing", "benefit": 1},
        ),
        # limits against the device's history of accepted uses
        "limit-reached-day": (
            "scenic, 1 per day: used an hour ago",
            good,
            (False, "limit_reached"),
            {"history": ((T0 - HOUR, 501),)},
        ),
        "limit-reached-since-midnight": (
            "scenic, 1 per day: used at 00:00:00 today (Shanghai)",
            good,
            (False, "limit_reached"),
            {"history": ((MIDNIGHT, 501),)},
        ),
        "ok-limit-used-yesterday": (
            "scenic, 1 per day: used at 23:59:59 yesterday (Shanghai)",
            good,
            ok,
            {"history": ((MIDNIGHT - 1, 501),)},
        ),
        "limit-reached-default-scope": (
            "ferry, 2 per week, scope absent (= benefit): both uses at another pier count",
            good,
            (False, "limit_reached"),
            {"bundle": "ferry", "history": ((T0 - 2 * HOUR, 602), (T0 - HOUR, 602))},
        ),
        "ok-limit-last-week": (
            "ferry, 2 per week: two uses on Sunday, the week before (ISO weeks start Monday)",
            good,
            ok,
            {"bundle": "ferry", "history": ((MIDNIGHT - 2 * HOUR, 601), (MIDNIGHT - HOUR, 601))},
        ),
        "ok-limit-venue-scope-elsewhere": (
            "hotel, 4 per month at this venue: four uses at another hotel do not count",
            good,
            ok,
            {"bundle": "hotel", "history": tuple((T0 - k * HOUR, 802) for k in range(1, 5))},
        ),
        "limit-reached-venue-scope": (
            "hotel, 4 per month at this venue: four uses here this month",
            good,
            (False, "limit_reached"),
            {"bundle": "hotel", "history": tuple((T0 - k * HOUR, 801) for k in range(1, 5))},
        ),
    }


def _sign1_bytes(
    protected: bytes,
    payload: bytes,
    *,
    tag: bytes = b"\xd2",
    array: bytes = b"\x84",
    protected_head: bytes | None = None,
    unprotected: bytes = b"\xa0",
    payload_head: bytes | None = None,
    signature_head: bytes = b"\x58\x40",
    key: Ed25519PrivateKey = ISSUER,
) -> bytes:
    """A COSE_Sign1 assembled from raw pieces, validly signed over the bstr contents: the
    signature does not depend on how a head is written, so only the encoding rule can
    refuse these."""
    signature = key.sign(cose.sig_structure(protected, payload))

    def head(n: int) -> bytes:
        return cbor2.dumps(bytes(n))[: -n or None]

    return b"".join(
        (
            tag,
            array,
            protected_head or head(len(protected)),
            protected,
            unprotected,
            payload_head or head(len(payload)),
            payload,
            signature_head,
            signature,
        )
    )


def _claims_bytes(*pairs: bytes, private: bytes | None = None, count: bytes = b"\xa5") -> bytes:
    """A claims map from raw encoded pieces (each ``key + value``), in the order given."""
    return count + b"".join(pairs) + (private if private is not None else b"")


def _noncanonical_vectors() -> dict[str, tuple[str, str]]:
    c = make_claims()
    protected = cose.protected_header(KID_ACTIVE)
    iss = b"\x01" + cbor2.dumps(c.iss)
    exp = b"\x04" + cbor2.dumps(c.exp)
    iat = b"\x06" + cbor2.dumps(c.iat)
    cti = b"\x07" + cbor2.dumps(c.cti)
    name = b"\x01" + cbor2.dumps(c.name)
    idl4 = b"\x02" + cbor2.dumps(c.id_last4)
    bits = b"\x03" + cbor2.dumps(hb1.benefits_to_bits(c.benefits))
    label = cbor2.dumps(-65537)

    def private(*items: bytes, count: bytes = b"\xa3") -> bytes:
        return label + count + b"".join(items)

    canonical = _claims_bytes(iss, exp, iat, cti, private=private(name, idl4, bits))
    assert canonical == hb1.claims_to_cbor(c)

    def cert(payload: bytes, **pieces: Any) -> str:
        return text_of(_sign1_bytes(protected, payload, **pieces))

    def with_private(*items: bytes, count: bytes = b"\xa3") -> str:
        """A certificate whose claims are canonical up to the private map's raw items."""
        return cert(_claims_bytes(iss, exp, iat, cti, private=private(*items, count=count)))

    name_bytes = c.name.encode()
    return {
        "noncanonical-tag-head": (
            "tag 18 written with a one-byte argument (d8 12)",
            cert(canonical, tag=b"\xd8\x12"),
        ),
        "noncanonical-array-head": (
            "the envelope's array of 4 written 98 04",
            cert(canonical, array=b"\x98\x04"),
        ),
        "noncanonical-protected-bstr-head": (
            "the protected header's byte string head written 58 09",
            cert(canonical, protected_head=b"\x58\x09"),
        ),
        "noncanonical-inside-protected": (
            "inside the protected bstr, label 1 written 18 01",
            text_of(_sign1_bytes(b"\xa2\x18\x01\x27\x04\x44" + KID_ACTIVE, canonical)),
        ),
        "noncanonical-protected-order": (
            "protected header map {4: kid, 1: -8}: keys out of order",
            text_of(_sign1_bytes(b"\xa2\x04\x44" + KID_ACTIVE + b"\x01\x27", canonical)),
        ),
        "noncanonical-unprotected-head": (
            "empty unprotected map written b9 00 00",
            cert(canonical, unprotected=b"\xb9\x00\x00"),
        ),
        "noncanonical-payload-bstr-head": (
            "the payload's byte string head written 59 00 xx",
            cert(canonical, payload_head=b"\x59" + len(canonical).to_bytes(2, "big")),
        ),
        "noncanonical-signature-head": (
            "the signature's byte string head written 59 00 40",
            cert(canonical, signature_head=b"\x59\x00\x40"),
        ),
        "noncanonical-claims-exp-8-bytes": (
            "exp written with an 8-byte head (1b)",
            cert(
                _claims_bytes(
                    iss,
                    b"\x04\x1b" + c.exp.to_bytes(8, "big"),
                    iat,
                    cti,
                    private=private(name, idl4, bits),
                )
            ),
        ),
        "noncanonical-claims-key-order": (
            "claims map with -65537 before 1",
            cert(_claims_bytes(private(name, idl4, bits), iss, exp, iat, cti, private=b"")),
        ),
        "noncanonical-duplicate-long-key": (
            "label 1 written 01 and again 18 01 (the last value would win)",
            cert(
                _claims_bytes(
                    b"\x01" + cbor2.dumps("XX"),
                    b"\x18\x01" + cbor2.dumps(c.iss),
                    exp,
                    iat,
                    cti,
                    private=private(name, idl4, bits),
                    count=b"\xa6",
                )
            ),
        ),
        "noncanonical-name-length-head": (
            "the name's text head written 78 09",
            with_private(b"\x01\x78\x09" + name_bytes, idl4, bits),
        ),
        "noncanonical-private-order": (
            "private map with key 2 before key 1",
            with_private(idl4, name, bits),
        ),
        "noncanonical-bits-4-bytes": (
            "benefit bits 2046 written with a 4-byte head (1a)",
            with_private(name, idl4, b"\x03\x1a\x00\x00\x07\xfe"),
        ),
        "noncanonical-directory-1-byte": (
            "directory 3 written 18 03",
            with_private(name, idl4, bits, b"\x04\x18\x03", count=b"\xa4"),
        ),
        "noncanonical-indefinite-claims": (
            "claims map of indefinite length (bf ... ff)",
            cert(b"\xbf" + canonical[1:] + b"\xff"),
        ),
    }


def _text_vectors() -> tuple[dict[str, tuple[str, str]], dict[str, tuple]]:
    """Printable text counted in code points, and text that is not UTF-8: (refused, accepted)."""
    cm = claims_map
    wide = "\U00020000"  # 𠀀, outside the BMP: two UTF-16 units, four UTF-8 bytes

    def raw_name(name_bytes: bytes) -> str:
        c = make_claims()
        payload = (
            b"\xa5\x01"
            + cbor2.dumps(c.iss)
            + b"\x04"
            + cbor2.dumps(c.exp)
            + b"\x06"
            + cbor2.dumps(c.iat)
            + b"\x07"
            + cbor2.dumps(c.cti)
            + cbor2.dumps(-65537)
            + b"\xa3\x01"
            + bytes((0x60 + len(name_bytes),))
            + name_bytes
            + b"\x02"
            + cbor2.dumps(c.id_last4)
            + b"\x03"
            + cbor2.dumps(hb1.benefits_to_bits(c.benefits))
        )
        return text_of(raw_sign1(payload=payload))

    def named(name: str) -> str:
        return text_of(raw_sign1(payload=cm(private={1: name})))

    refused = {
        "name-nbsp": (
            "name with U+00A0 NO-BREAK SPACE (category Zs)",
            named("李\u00a0晓明"),
        ),
        "name-zero-width-space": (
            "name with U+200B ZERO WIDTH SPACE (category Cf)",
            named("李\u200b明"),
        ),
        "name-line-separator": (
            "name with U+2028 LINE SEPARATOR (category Zl)",
            named("李\u2028明"),
        ),
        "name-private-use": (
            "name with U+E000, a private-use character (category Co)",
            named("李\ue000明"),
        ),
        "id-nbsp": (
            "id part with U+00A0",
            text_of(raw_sign1(payload=cm(private={2: "1\u00a03X"}))),
        ),
        "name-33-wide": (
            "name of 33 code points outside the BMP (66 UTF-16 units)",
            named(wide * 33),
        ),
        "iss-fullwidth": (
            "iss in full-width letters (not ASCII)",
            text_of(raw_sign1(payload=cm({1: "ＢＨ"}))),
        ),
        "name-utf8-overlong": ("name holding the overlong UTF-8 c0 af", raw_name(b"\xc0\xaf")),
        "name-utf8-surrogate": (
            "name holding an encoded surrogate (ed a0 80)",
            raw_name(b"\xed\xa0\x80"),
        ),
        "name-utf8-truncated": ("name ending in half a character", raw_name("李".encode()[:2])),
    }
    accepted = {
        "ok-name-32-wide": (
            "name of 32 code points outside the BMP: the maximum, counted in code points",
            make_cert(name=wide * 32),
            (True, "ok"),
            {},
        ),
        "ok-name-combining-mark": (
            "name with a combining accent (category Mn): printable",
            make_cert(name="José"),
            (True, "ok"),
            {},
        ),
    }
    return refused, accepted


def _foreign_vectors() -> dict[str, tuple[str, str, str]]:
    """Codes that are not Huicui certificates, and what staff are told they are."""
    return {
        "foreign-eu-dcc": (
            "an EU digital COVID certificate (HC1:)",
            "HC1:" + base45.encode(b"not a real EU certificate"),
            "eu_dcc",
        ),
        "foreign-url": ("a web address", "https://www.example.cn/events?id=42", "url"),
        "foreign-www": ("a web address without a scheme", "www.example.cn", "url"),
        "foreign-payment-digits": (
            "a customer's payment code: 18 digits",
            "134567890123456789",
            "payment_code",
        ),
        "foreign-wechat-pay-link": ("a WeChat Pay link", "wxp://f2f0AbCdEfGhIjKl", "payment_code"),
        "foreign-alipay-link": (
            "an Alipay collection code",
            "https://qr.alipay.com/fkx19999abcdefghij",
            "payment_code",
        ),
        "foreign-other-format": (
            "a Huicui prefix of a format this verifier does not know (HB9:)",
            "HB9:" + make_cert()[4:],
            "other_format",
        ),
        "foreign-plain-text": ("plain text", "李晓明 123X", "not_huicui"),
    }


def _more_malformed() -> dict[str, dict]:
    out: dict[str, dict] = {}
    for name, (desc, text) in _noncanonical_vectors().items():
        out[f"malformed-{name}"] = _decision(desc, text, expected=BAD, input_kind="damaged")
    refused, accepted = _text_vectors()
    for name, (desc, text) in refused.items():
        out[f"malformed-{name}"] = _decision(desc, text, expected=BAD, input_kind="damaged")
    for name, (desc, text, expected, _) in accepted.items():
        out[name] = _decision(desc, text, expected=expected)
    for name, (desc, text, kind) in _foreign_vectors().items():
        out[f"malformed-{name}"] = _decision(desc, text, expected=BAD, input_kind=kind)
    out["malformed-exp-past-largest"] = _decision(
        "exp one second past the largest timestamp",
        text_of(raw_sign1(payload=claims_map({4: hb1.MAX_TIMESTAMP + 1}))),
        expected=BAD,
        input_kind="damaged",
    )
    return out


# --- catch-up vectors (kind "catch_up", files under tests/vectors/bundle/) --------------


def history() -> list[bundle.Snapshot]:
    """Versions 7..10 of one program: revocations added and removed, a superseded phone
    key, a new issuer key; each a small change from the one before."""
    from huicui_verifier.delta import LISTS  # noqa: F401 - the lists a delta changes

    v7 = make_snapshot()
    v8 = make_snapshot(
        version=8,
        iat=T0 - DAY + 3600,
        revoked=revocations.pack(
            [
                *_ids(v7.revoked),
                bytes.fromhex("1111111111111111"),
                bytes.fromhex("2222222222222222"),
            ]
        ),
    )
    v9 = make_snapshot(
        version=9,
        iat=T0 - DAY + 7200,
        revoked=revocations.pack(
            [i for i in _ids(v8.revoked) if i != bytes.fromhex("0000000000000001")]
        ),
        superseded=revocations.pack([bytes.fromhex("5a5a5a5a5a5a5a5a")]),
    )
    v10 = make_snapshot(
        version=10,
        iat=T0 - DAY + 10800,
        revoked=v9.revoked,
        superseded=v9.superseded,
        keys=(
            *v9.keys,
            bundle.KeyEntry(
                kid=bytes.fromhex("a1000004"), pub=raw_key(STRANGER), state="active", nbf=T0
            ),
        ),
    )
    return [v7, v8, v9, v10]


def _ids(packed: bytes) -> list[bytes]:
    return [packed[i : i + 8] for i in range(0, len(packed), 8)]


def signed_history(signer: Ed25519PrivateKey = BUNDLE_SIGNER) -> dict[int, tuple[bytes, bytes]]:
    """version → (signed snapshot file, signed delta file to the next version or b"")."""
    from huicui_verifier import delta

    snaps = history()
    out = {}
    for i, snap in enumerate(snaps):
        nxt = snaps[i + 1] if i + 1 < len(snaps) else None
        d = b""
        if nxt is not None:
            made = delta.make(bundle.to_map(snap), bundle.to_map(nxt), program=snap.program)
            assert made is not None
            d = bundle.sign(made, signer)
        out[snap.version] = (bundle.sign(snap, signer), d)
    return out


def _payload(signed: bytes) -> bytes:
    return cose.parse(signed).payload


def _bundle_vector(
    description: str,
    files: dict[str, bytes],
    expected: dict,
    *,
    held: bytes | None = None,
    held_profile_rev: int | None = None,
    now: int = T0,
    venue: int = 501,
    program: str = "BH",
    pinned: Ed25519PrivateKey | None = BUNDLE_SIGNER,
    padded: dict[str, int] | None = None,
) -> dict:
    """One catch-up vector, as the manifest lists it."""
    entry: dict[str, Any] = {
        "kind": "catch_up",
        "description": description,
        "pinned_key": None if pinned is None else raw_key(pinned).hex(),
        "enrolled": {"program": program, "venue": venue},
        "held": {"snapshot": held.hex(), "profile_rev": held_profile_rev} if held else None,
        "now": now,
        "files": {name: data.hex() for name, data in sorted(files.items())},
        "expected": expected,
    }
    if padded:
        entry["padded"] = dict(sorted(padded.items()))
    return entry


def _ok(snapshot_signed: bytes, *, deltas: int, whole: bool) -> dict:
    payload = _payload(snapshot_signed)
    snap = bundle.from_map(bundle.decode_map(payload), "snapshot")
    return {
        "outcome": "ok",
        "version": snap.version,
        "hash": bundle.content_hash(payload).hex(),
        "deltas": deltas,
        "snapshot_taken": whole,
        "revoked": len(snap.revoked) // 8,
        "superseded": len(snap.superseded) // 8,
    }


def _refused(code: str) -> dict:
    return {"outcome": "refused", "error": code}


def _resign(signed: bytes, change: Any, signer: Ed25519PrivateKey = BUNDLE_SIGNER) -> bytes:
    """A signed file whose payload map went through ``change`` (a function), signed again
    over the raw bytes it returns (so broken encodings can be signed)."""
    obj = cbor2.loads(_payload(signed))
    raw = change(obj)
    return bundle.sign_payload(raw if isinstance(raw, bytes) else cbor_check.dumps(raw), signer)


def _bundle_vectors() -> dict[str, dict]:
    hist = signed_history()
    s = {v: snap for v, (snap, _) in hist.items()}
    d = {v: delta_file for v, (_, delta_file) in hist.items()}
    h = {v: bundle.content_hash(_payload(snap)) for v, snap in s.items()}
    prof = bundle.sign(make_profile(), BUNDLE_SIGNER)
    beat = {v: bundle.sign(make_heartbeat(s[v]), BUNDLE_SIGNER) for v in s}
    P = "profile/501.cbor"

    def snap_name(v: int) -> str:
        return f"snapshot/{h[v].hex()}.cbor"

    def delta_name(v: int) -> str:
        return f"delta/{h[v].hex()}.cbor"

    def published(latest: int, *, deltas: bool = True, **extra: bytes) -> dict[str, bytes]:
        files = {"heartbeat.cbor": beat[latest], snap_name(latest): s[latest], P: prof}
        if deltas:
            files.update({delta_name(v): d[v] for v in s if v < latest})
        files.update(extra)
        return files

    def mutate(name: str, fn: Any, base: dict[str, bytes]) -> dict[str, bytes]:
        return {**base, name: _resign(base[name], fn)}

    other_prog = make_files(program="BHX")
    other_key = make_files(signer=OTHER_BUNDLE_SIGNER)
    v: dict[str, dict] = {}

    def add(name: str, description: str, files: dict, expected: dict, **kw: Any) -> None:
        v[name] = _bundle_vector(description, files, expected, **kw)

    # --- catching up -------------------------------------------------------------------
    add(
        "new-device-takes-snapshot",
        "nothing held: the snapshot the heartbeat names",
        published(10),
        _ok(s[10], deltas=0, whole=True),
    )
    add(
        "one-delta",
        "held v9: one delta to v10",
        published(10),
        _ok(s[10], deltas=1, whole=False),
        held=_payload(s[9]),
    )
    add(
        "three-deltas",
        "held v7: deltas 7→8→9→10 (revocations added and removed, a "
        "superseded phone key, a new issuer key)",
        published(10),
        _ok(s[10], deltas=3, whole=False),
        held=_payload(s[7]),
    )
    add(
        "heartbeat-only",
        "held v10 and the heartbeat names v10: nothing else is fetched",
        published(10),
        _ok(s[10], deltas=0, whole=False),
        held=_payload(s[10]),
    )
    add(
        "too-far-behind",
        "held v7 but the deltas are gone: the snapshot instead",
        published(10, deltas=False),
        _ok(s[10], deltas=0, whole=True),
        held=_payload(s[7]),
    )
    add(
        "delta-then-snapshot",
        "held v7, only the delta 7→8 is published: then the snapshot",
        {**published(10, deltas=False), delta_name(7): d[7]},
        _ok(s[10], deltas=1, whole=True),
        held=_payload(s[7]),
    )
    add(
        "unknown-top-level-key",
        "a snapshot with an unknown top-level key is read (kept, hashed)",
        _single(lambda o: {**o, "zz_future": 1}, s[10]),
        {"outcome": "ok"},
    )
    add(
        "stale-boundary",
        "now one second before the heartbeat's exp: still taken",
        published(10),
        _ok(s[10], deltas=0, whole=False),
        held=_payload(s[10]),
        now=T0 + 6 * DAY - 1,
    )
    # --- refusals ----------------------------------------------------------------------
    add(
        "older-heartbeat",
        "held v10, the heartbeat names v9: an older snapshot is refused",
        published(9),
        _refused("older_version"),
        held=_payload(s[10]),
    )
    add(
        "heartbeat-hash-mismatch",
        "held v9; the heartbeat names v10 with v9's hash: the snapshot reached does not match it",
        {
            **published(10),
            "heartbeat.cbor": bundle.sign(make_heartbeat(s[10], hash=h[9]), BUNDLE_SIGNER),
            snap_name(9): s[9],
        },
        _refused("hash_mismatch"),
        held=_payload(s[9]),
    )
    add(
        "delta-not-chained",
        "held v8 but the delta named by its hash starts at v7",
        {**published(10, deltas=False), delta_name(8): d[7]},
        _refused("not_chained"),
        held=_payload(s[8]),
    )
    add(
        "delta-wrong-result",
        "a delta whose result is not its to_hash",
        mutate(delta_name(9), lambda o: {**o, "to_hash": h[8]}, published(10)),
        _refused("hash_mismatch"),
        held=_payload(s[9]),
    )
    add(
        "delta-removes-absent-id",
        "a delta removing an id the held list does not have",
        mutate(
            delta_name(9),
            lambda o: {**o, "revoked": {"add": b"", "remove": bytes(8)}},
            published(10),
        ),
        _refused("hash_mismatch"),
        held=_payload(s[9]),
    )
    add(
        "delta-sets-version",
        "a delta whose set replaces a fixed field (version)",
        mutate(delta_name(9), lambda o: {**o, "set": {"version": 99}}, published(10)),
        _refused("malformed"),
        held=_payload(s[9]),
    )
    add(
        "heartbeat-expired",
        "the heartbeat is past its exp",
        published(10),
        _refused("expired"),
        held=_payload(s[10]),
        now=T0 + 7 * DAY,
    )
    add(
        "heartbeat-at-exp",
        "now == exp: the heartbeat is already expired",
        published(10),
        _refused("expired"),
        held=_payload(s[10]),
        now=T0 + 6 * DAY,
    )
    add(
        "snapshot-hash-mismatch",
        "the snapshot file named by the heartbeat has another payload",
        {**published(10), snap_name(10): s[9]},
        _refused("hash_mismatch"),
    )
    add(
        "other-venue-profile",
        "the profile is venue 502's, the device serves 501",
        {**published(10), P: bundle.sign(make_profile(id=502), BUNDLE_SIGNER)},
        _refused("other_venue"),
        held=_payload(s[10]),
    )
    add(
        "older-profile",
        "the profile's rev is older than the one held",
        published(10),
        _refused("older_version"),
        held=_payload(s[10]),
        held_profile_rev=T0,
    )
    add(
        "other-program-snapshot",
        "a snapshot (and heartbeat) of program BHX; enrolled for BH",
        other_prog.layout() | {P: prof},
        _refused("wrong_program"),
    )
    add(
        "other-program-profile",
        "a profile of program BHX",
        {**published(10), P: bundle.sign(make_profile(program="BHX"), BUNDLE_SIGNER)},
        _refused("wrong_program"),
        held=_payload(s[10]),
    )
    add(
        "wrong-key",
        "files signed by another bundle key than the pinned one",
        other_key.layout(),
        _refused("wrong_key"),
    )
    add(
        "bad-signature",
        "a heartbeat whose payload was changed after signing",
        {**published(10), "heartbeat.cbor": _flip_payload(beat[10])},
        _refused("bad_signature"),
        held=_payload(s[10]),
    )
    add(
        "wrong-type",
        "a profile served where the heartbeat belongs",
        {**published(10), "heartbeat.cbor": prof},
        _refused("wrong_type"),
        held=_payload(s[10]),
    )
    add(
        "format-1",
        "a heartbeat of format 1",
        mutate("heartbeat.cbor", lambda o: {**o, "format": 1}, published(10)),
        _refused("unsupported_format"),
        held=_payload(s[10]),
    )
    add(
        "not-published",
        "the heartbeat names a snapshot that is not there",
        {"heartbeat.cbor": beat[10], P: prof},
        _refused("not_published"),
    )
    # --- encodings every reader refuses (issue 13) ---------------------------------------
    add(
        "non-canonical-keys",
        "heartbeat map keys not in deterministic order",
        mutate("heartbeat.cbor", lambda o: _unsorted_map(o), published(10)),
        _refused("malformed"),
        held=_payload(s[10]),
    )
    add(
        "non-shortest-head",
        "an integer in the heartbeat written with a longer head than needed",
        mutate("heartbeat.cbor", lambda o: _long_version(o), published(10)),
        _refused("malformed"),
        held=_payload(s[10]),
    )
    add(
        "duplicate-key",
        'a heartbeat repeating the key "version"',
        mutate("heartbeat.cbor", lambda o: _duplicate_version(o), published(10)),
        _refused("malformed"),
        held=_payload(s[10]),
    )
    add(
        "tag-inside",
        "a tagged value (tag 1) inside the heartbeat",
        mutate("heartbeat.cbor", lambda o: {**o, "iat": cbor2.CBORTag(1, o["iat"])}, published(10)),
        _refused("malformed"),
        held=_payload(s[10]),
    )
    add(
        "float-inside",
        "a float inside the heartbeat",
        mutate("heartbeat.cbor", lambda o: {**o, "zz": 1.5}, published(10)),
        _refused("malformed"),
        held=_payload(s[10]),
    )
    add(
        "unknown-nested-key",
        "a key entry with an unknown field: only the top level may",
        _single(lambda o: {**o, "keys": [{**k, "zz": 1} for k in o["keys"]]}, s[10]),
        _refused("malformed"),
    )
    add(
        "unsorted-revoked",
        "a snapshot whose revocation list is out of order",
        _single(
            lambda o: {**o, "revoked": o["revoked"][8:16] + o["revoked"][:8] + o["revoked"][16:]},
            s[10],
        ),
        _refused("malformed"),
    )
    add(
        "ragged-revoked",
        "a snapshot whose revocation list is not a multiple of 8 bytes",
        _single(lambda o: {**o, "revoked": o["revoked"] + b"\x00"}, s[10]),
        _refused("malformed"),
    )
    add(
        "policy-unknown-key",
        "a policy with a key the verifier does not know",
        _single(
            lambda o: {
                **o,
                "benefits": [{**b, "policy": {**b["policy"], "zz": 1}} for b in o["benefits"]],
            },
            s[10],
        ),
        _refused("malformed"),
    )
    # --- first enrollment (no key pinned) and the envelope ------------------------------
    add(
        "first-use-takes-snapshot",
        "no key pinned yet: the snapshot is trusted on first use of its own bundle_key",
        published(10),
        _ok(s[10], deltas=0, whole=True),
        pinned=None,
    )
    add(
        "first-use-bad-signature",
        "no key pinned; the snapshot's last signature byte flipped",
        {**published(10), snap_name(10): _flip_last(s[10])},
        _refused("bad_signature"),
        pinned=None,
    )
    add(
        "first-use-kid-mismatch",
        "no key pinned; the snapshot's kid is not its bundle_key's",
        {**published(10), snap_name(10): cose.sign(_payload(s[10]), BUNDLE_SIGNER, bytes(4))},
        _refused("malformed"),
        pinned=None,
    )
    add(
        "snapshot-names-other-key",
        "signed by the pinned key but naming another bundle_key",
        _single(lambda o: {**o, "bundle_key": raw_key(OTHER_BUNDLE_SIGNER)}, s[10]),
        _refused("wrong_key"),
    )
    add(
        "heartbeat-too-large",
        "a heartbeat one byte over 64 MiB (its bytes followed by zero bytes, see padded)",
        published(10),
        _refused("too_large"),
        held=_payload(s[10]),
        padded={"heartbeat.cbor": bundle.MAX_FILE_BYTES + 1},
    )
    add(
        "heartbeat-not-cose",
        "an empty map instead of a COSE_Sign1 heartbeat",
        {**published(10), "heartbeat.cbor": b"\xa0"},
        _refused("malformed"),
        held=_payload(s[10]),
    )
    add(
        "older-before-other-venue",
        "held v10, the heartbeat names v9 and the profile is another venue's: the "
        "version is checked first",
        {**published(9), P: bundle.sign(make_profile(id=502), BUNDLE_SIGNER)},
        _refused("older_version"),
        held=_payload(s[10]),
    )
    # --- snapshot contents every reader refuses ------------------------------------------
    deep: Any = 0
    for _ in range(11):
        deep = [deep]
    add(
        "too-deep",
        "an unknown top-level key nesting 11 arrays (depth 12 with the payload map)",
        _single(lambda o: {**o, "zz_deep": deep}, s[10]),
        _refused("malformed"),
    )
    add(
        "unknown-time-zone",
        "tz Mars/Olympus",
        _single(lambda o: {**o, "tz": "Mars/Olympus"}, s[10]),
        _refused("malformed"),
    )
    add(
        "invalid-policy",
        "a policy that breaks a validity rule (discount of 120 percent)",
        _single(
            lambda o: {
                **o,
                "benefits": [
                    {**b, "policy": {**b["policy"], "effect": "discount", "percent_off": 120}}
                    for b in o["benefits"]
                ],
            },
            s[10],
        ),
        _refused("malformed"),
    )
    add(
        "repeated-revocation",
        "a revoked id listed twice",
        _single(lambda o: {**o, "revoked": o["revoked"][:8] * 2}, s[10]),
        _refused("malformed"),
    )
    add(
        "snapshot-format-3",
        "a snapshot of format 3",
        _single(lambda o: {**o, "format": 3}, s[10]),
        _refused("unsupported_format"),
    )
    return v


def _flip_last(signed: bytes) -> bytes:
    """``signed`` with its last byte (the signature's) flipped."""
    return signed[:-1] + bytes((signed[-1] ^ 1,))


def _single(change: Any, snapshot_signed: bytes) -> dict[str, bytes]:
    """A snapshot changed by ``change`` and signed again, with a heartbeat naming it."""
    snap = _resign(snapshot_signed, change)
    payload = _payload(snap)
    beat_payload = cbor_check.dumps(
        {
            "format": 2,
            "type": "heartbeat",
            "program": "BH",
            "version": cbor2.loads(payload)["version"],
            "hash": bundle.content_hash(payload),
            "iat": T0 - DAY,
            "exp": T0 + 6 * DAY,
        },
    )
    return {
        "heartbeat.cbor": bundle.sign_payload(beat_payload, BUNDLE_SIGNER),
        f"snapshot/{bundle.content_hash(payload).hex()}.cbor": snap,
        "profile/501.cbor": bundle.sign(make_profile(), BUNDLE_SIGNER),
    }


def _flip_payload(signed: bytes) -> bytes:
    obj = cbor2.loads(signed)
    payload = bytearray(obj.value[2])
    payload[-1] ^= 0x01
    return cbor2.dumps(cbor2.CBORTag(18, [obj.value[0], {}, bytes(payload), obj.value[3]]))


def _unsorted_map(o: dict) -> bytes:
    items = sorted(o.items(), key=lambda kv: cbor2.dumps(kv[0]), reverse=True)
    return bytes([0xA0 + len(items)]) + b"".join(
        cbor2.dumps(k) + cbor_check.dumps(val) for k, val in items
    )


def _long_version(o: dict) -> bytes:
    raw = cbor_check.dumps(o)
    key = cbor2.dumps("version")
    at_ = raw.index(key) + len(key)
    assert raw[at_] < 24  # a small version: one byte; write it with a 1-byte argument
    return raw[:at_] + bytes([0x18, raw[at_]]) + raw[at_ + 1 :]


def _duplicate_version(o: dict) -> bytes:
    raw = cbor_check.dumps(o)
    assert raw[0] == 0xA0 + len(o)
    return bytes([raw[0] + 1]) + raw[1:] + cbor2.dumps("version") + cbor2.dumps(o["version"])


# --- layers, files and the manifest -------------------------------------------------

VECTOR_ROOT = Path(__file__).parent
MANIFEST = VECTOR_ROOT / "manifest.json"
MANIFEST_FORMAT = 2  # 2: bundles are file sets (bundle format 2), catch-up vectors


def decision_layers(text: str) -> dict:
    """The input's layers as far as the strict readers take it (as the EU DCC test data
    publishes them): Base45 text, COSE bytes, its four parts, the claims."""
    layers: dict[str, Any] = {}
    if text.startswith(hb2.PREFIX):
        return hb2_layers(text)
    if not text.startswith(hb1.PREFIX):
        return layers
    layers["base45"] = text[len(hb1.PREFIX) :]
    try:
        raw = base45.strict_decode(layers["base45"])
    except base45.Base45Error:
        return layers
    layers["cose"] = raw.hex()
    try:
        sign1 = cose.strict_parse(raw)
    except cose.CoseError:
        return layers
    layers.update(
        protected=sign1.protected.hex(),
        kid=sign1.kid.hex(),
        payload=sign1.payload.hex(),
        signature=sign1.signature.hex(),
    )
    try:
        c = hb1.strict_claims(sign1.payload)
    except hb1.HB1Error:
        return layers
    layers["claims"] = _claims_layer(c)
    return layers


def hb2_layers(text: str) -> dict:
    """An HB2 text's layers: Base45, the CBOR array, then the bound certificate (its COSE
    parts, claims and device key) and the proof (its parts and time), as far as they read."""
    layers: dict[str, Any] = {"base45": text[len(hb2.PREFIX) :]}
    try:
        layers["cbor"] = base45.strict_decode(layers["base45"]).hex()
        live = hb2.decode(text)
    except (base45.Base45Error, hb1.HB1Error):
        return layers
    b, p = live.bound, live.proof
    layers["bound"] = {
        "cose": b.raw.hex(),
        "protected": b.protected.hex(),
        "kid": b.kid.hex(),
        "payload": b.payload.hex(),
        "signature": b.signature.hex(),
        "claims": _claims_layer(b.claims),
        "device_key": b.device_key.hex(),
    }
    layers["proof"] = {
        "protected": p.protected.hex(),
        "payload": p.payload.hex(),
        "time": p.time,
        "signature": p.signature.hex(),
    }
    return layers


def _claims_layer(c: hb1.CertificateClaims) -> dict:
    return {
        "iss": c.iss,
        "iat": c.iat,
        "exp": c.exp,
        "cti": c.cti.hex(),
        "name": c.name,
        "id_last4": c.id_last4,
        "benefits": list(c.benefits),
        "directory": c.directory,
    }


def build_all() -> tuple[dict, dict[str, str]]:
    """The manifest and every per-vector file (path relative to tests/vectors → text)."""
    decisions = {
        **{f"malformed-{k}": v for k, v in _malformed_vectors().items()},
        **_decision_vectors(),
        **_more_malformed(),
    }
    bundles = {
        name: {
            "snapshot": files.snapshot.hex(),
            "heartbeat": files.heartbeat.hex() if files.heartbeat is not None else None,
            "profile": files.profile.hex(),
            "announced": files.announced,
        }
        for name, files in {**_bundles(), **_hb2_bundles()}.items()
    }
    entries: list[dict] = []
    files: dict[str, str] = {}
    for name, v in sorted(decisions.items()):
        entries.append({"name": name, "file": f"hb1/{name}.json", **v})
        files[f"hb1/{name}.json"] = _json({**v, "layers": decision_layers(v["input"])})
    for name, v in sorted(hb2_vectors().items()):
        name = f"hb2-{name}"
        assert name not in decisions, name
        entries.append({"name": name, "file": f"hb2/{name}.json", **v})
        files[f"hb2/{name}.json"] = _json({**v, "layers": decision_layers(v["input"])})
    for name, v in sorted(_bundle_vectors().items()):
        assert name not in decisions, name
        entries.append({"name": name, "file": f"bundle/{name}.json", **v})
        files[f"bundle/{name}.json"] = _json(v)
    manifest = {
        "format": MANIFEST_FORMAT,
        "about": "Huicui verifier test vectors; tests/vectors/README.md says how to run them.",
        "bundles": dict(sorted(bundles.items())),
        "vectors": sorted(entries, key=lambda e: e["name"]),
    }
    return manifest, files


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def build_vectors() -> dict[str, str]:
    """Path (relative to tests/vectors) → text of every generated file, manifest included."""
    manifest, files = build_all()
    return {"manifest.json": _json(manifest), **files}


def read_manifest() -> dict:
    """The committed manifest."""
    return json.loads(MANIFEST.read_text("utf-8"))


# --- HB2: the live card on the holder's phone ----------------------------------------

PHONE = key_from_seed("huicui-vectors/phone")
OLD_PHONE = key_from_seed("huicui-vectors/phone-old")  # superseded by PHONE
OTHER_PHONE = key_from_seed("huicui-vectors/phone-other")
BOUND_IAT = T0 - 2 * DAY  # the phone was activated two days before T0
PROOF_AGE = 5  # a live code is typically a few seconds old when scanned
SKEW = bundle.DEFAULT_SKEW


def make_bound(
    *,
    phone: Ed25519PrivateKey = PHONE,
    key: Ed25519PrivateKey = ISSUER,
    kid: bytes = KID_ACTIVE,
    **overrides: Any,
) -> bytes:
    """A bound certificate (tagged COSE_Sign1 bytes) for ``phone``, activated at BOUND_IAT."""
    claims = make_claims(**{"iat": BOUND_IAT, **overrides})
    return hb2.sign_bound(claims, raw_key(phone), key, kid)


def make_live(
    *,
    at_time: int = T0 - PROOF_AGE,
    phone: Ed25519PrivateKey = PHONE,
    bound_raw: bytes | None = None,
    **overrides: Any,
) -> str:
    """An HB2 text: a bound certificate for ``phone`` and its proof signed at ``at_time``."""
    if bound_raw is None:
        bound_raw = make_bound(phone=phone, **overrides)
    return hb2.encode(bound_raw, at_time, phone)


def hb2_text_of(raw: bytes) -> str:
    """``HB2:`` + Base45 of raw bytes."""
    return hb2.PREFIX + base45.encode(raw)


def raw_proof(
    *,
    protected: bytes = hb2.PROOF_PROTECTED,
    unprotected: Any = None,
    payload: bytes | None = None,
    signature: bytes | None = None,
    bound_raw: bytes | None = None,
    phone: Ed25519PrivateKey = PHONE,
) -> bytes:
    """A proof from parts that may break the rules, signed correctly over what is given."""
    bound_raw = make_bound() if bound_raw is None else bound_raw
    payload = hb2.proof_payload(T0 - PROOF_AGE) if payload is None else payload
    if signature is None:
        signature = phone.sign(cose.sig_structure(protected, payload, bound_raw))
    items = [protected, {} if unprotected is None else unprotected, payload, signature]
    return cbor2.dumps(cbor2.CBORTag(18, items), canonical=True)


def bound_from_claims(cwt: dict | bytes, *, key: Ed25519PrivateKey = ISSUER) -> bytes:
    """A bound certificate whose claims are ``cwt`` as given (off-format on purpose)."""
    payload = cwt if isinstance(cwt, bytes) else cbor2.dumps(cwt, canonical=True)
    return cose.sign(payload, key, KID_ACTIVE)


def bound_claims_map(**private: Any) -> dict:
    """The bound certificate's claims map, with private claims replaced (None drops one)."""
    m = claims_map()
    m[6] = BOUND_IAT
    m[-65537][5] = raw_key(PHONE)
    for label, value in private.items():
        number = int(label.removeprefix("p"))
        if value is None:
            m[-65537].pop(number)
        else:
            m[-65537][number] = value
    return m


SUPERSEDED_PHONES = revocations.pack(
    [hb2.device_key_hash(raw_key(OLD_PHONE)), bytes.fromhex("00000000000000aa")]
)


def hb2_files(**venue: Any) -> BundleFiles:
    """The HB2 vectors' files: the scenic venue compares ID documents for static cards
    (``venue`` overrides), and OLD_PHONE is superseded."""
    return make_files(superseded=SUPERSEDED_PHONES, venue={"static_card": "check_id", **venue})


def hb2_bundle(**venue: Any) -> bundle.Bundle:
    """The device view of :func:`hb2_files`."""
    files = hb2_files(**venue)
    return bundle.open_bundle(
        files.snapshot, files.heartbeat, files.profile, pinned_key=raw_key(BUNDLE_SIGNER)
    )


BUS_VENUE = {
    "id": 301,
    "kind": "bus",
    "name_zh": "3路公交",
    "name_en": "Bus line 3",
    "benefits": (3,),
}
# An unattended bus validator: only a live phone card passes (docs/hb2.md). A refuse
# venue lists its benefits as live_benefits, so a verifier from before HB2 honors none.
LIVE_ONLY_BUS = {
    **BUS_VENUE,
    "benefits": (),
    "live_benefits": (3,),
    "fail_mode": "closed",
    "static_card": "refuse",
}


def _hb2_bundles() -> dict[str, BundleFiles]:
    """The file sets the HB2 vectors name."""
    return {
        "hb2": hb2_files(),
        "hb2-bus": hb2_files(**LIVE_ONLY_BUS),
        "hb2-accept": hb2_files(static_card="accept"),
        "hb2-closed": hb2_files(fail_mode="closed"),
    }


def _hb2_malformed_vectors() -> dict[str, dict]:
    bound = make_bound()
    proof = raw_proof(bound_raw=bound)
    good = hb2.join(bound, proof)
    raw_good = base45.decode(good[4:])
    # The name's head written long (0x78 0x09) instead of the shortest (0x69).
    claims_bytes = cbor2.dumps(bound_claims_map(), canonical=True)
    name_at = claims_bytes.index("李晓明".encode()) - 1
    long_name = claims_bytes[:name_at] + b"\x78\x09" + claims_bytes[name_at + 1 :]
    hb1_inside = bound_from_claims(claims_map())
    v: dict[str, tuple[str, str]] = {
        "prefix-only": ("prefix and nothing else", "HB2:"),
        "prefix-lowercase": ("lower-case prefix", "hb2:" + good[4:]),
        "base45-bad-char": (
            "Base45 with a character outside the alphabet",
            good[:30] + "#" + good[31:],
        ),
        "too-long": ("1,025 characters: over the length cap", "HB2:" + "0" * 1021),
        "not-array": ("a map instead of the two-item array", hb2_text_of(cbor2.dumps({1: bound}))),
        "array-3": (
            "three items: bound certificate, proof and an extra",
            hb2_text_of(b"\x83" + bound + proof + b"\x00"),
        ),
        "array-one-item": (
            "an array holding only the bound certificate",
            hb2_text_of(b"\x81" + bound),
        ),
        "indefinite-array": (
            "indefinite-length outer array",
            hb2_text_of(b"\x9f" + bound + proof + b"\xff"),
        ),
        "trailing-byte": ("one byte after the proof", hb2_text_of(raw_good + b"\x00")),
        "cut-at-payload-length": (
            "cut right after the bound certificate's payload head",
            hb2_text_of(raw_good[:15]),
        ),
        "cut-in-proof": ("cut in the middle of the proof", hb2_text_of(raw_good[:-40])),
        "proof-missing-item": (
            "proof of three items",
            hb2_text_of(
                b"\x82" + bound + cbor2.dumps(cbor2.CBORTag(18, list(cbor2.loads(proof).value)[:3]))
            ),
        ),
        "proof-untagged": ("proof without tag 18", hb2_text_of(b"\x82" + bound + proof[1:])),
        "proof-with-kid": (
            "proof's protected header names a kid",
            hb2_text_of(b"\x82" + bound + raw_proof(protected=cose.protected_header(KID_ACTIVE))),
        ),
        "proof-alg-es256": (
            "proof's algorithm is ES256",
            hb2_text_of(b"\x82" + bound + raw_proof(protected=cbor2.dumps({1: -7}))),
        ),
        "proof-unprotected": (
            "proof's unprotected header is not empty",
            hb2_text_of(b"\x82" + bound + raw_proof(unprotected={4: b"x"})),
        ),
        "proof-time-text": (
            "proof's time as text",
            hb2_text_of(b"\x82" + bound + raw_proof(payload=cbor2.dumps(str(T0)))),
        ),
        "proof-time-negative": (
            "proof's time before 1970",
            hb2_text_of(b"\x82" + bound + raw_proof(payload=cbor2.dumps(-1))),
        ),
        "proof-time-long-head": (
            "proof's time with an 8-byte head (not the shortest encoding)",
            hb2_text_of(
                b"\x82" + bound + raw_proof(payload=b"\x1b" + (T0 - PROOF_AGE).to_bytes(8, "big"))
            ),
        ),
        "proof-time-float": (
            "proof's time as a float",
            hb2_text_of(b"\x82" + bound + raw_proof(payload=cbor2.dumps(float(T0)))),
        ),
        "proof-signature-63": (
            "proof's signature of 63 bytes",
            hb2_text_of(b"\x82" + bound + raw_proof(signature=bytes(63))),
        ),
        "bound-without-device-key": (
            "an HB1 certificate where the bound certificate belongs",
            hb2_text_of(b"\x82" + hb1_inside + raw_proof(bound_raw=hb1_inside)),
        ),
        "device-key-31": (
            "device key of 31 bytes",
            hb2_text_of(
                b"\x82"
                + (b31 := bound_from_claims(bound_claims_map(p5=raw_key(PHONE)[:31])))
                + raw_proof(bound_raw=b31)
            ),
        ),
        "device-key-text": (
            "device key as text",
            hb2_text_of(
                b"\x82"
                + (bt := bound_from_claims(bound_claims_map(p5=raw_key(PHONE).hex())))
                + raw_proof(bound_raw=bt)
            ),
        ),
        "bound-extra-claim": (
            "bound certificate with an unknown private claim 6",
            hb2_text_of(
                b"\x82"
                + (bx := bound_from_claims(bound_claims_map(p6=b"x")))
                + raw_proof(bound_raw=bx)
            ),
        ),
        "bound-long-head": (
            "bound certificate whose name has a longer head than needed",
            hb2_text_of(b"\x82" + (bl := bound_from_claims(long_name)) + raw_proof(bound_raw=bl)),
        ),
        "bound-no-tag": (
            "bound certificate without tag 18",
            hb2_text_of(b"\x82" + bound[1:] + raw_proof(bound_raw=bound[1:])),
        ),
    }
    return {
        name: _decision(desc, text, expected=BAD, bundle_name="hb2", input_kind=_kind_of(text))
        for name, (desc, text) in v.items()
    }


def _kind_of(text: str) -> str:
    """What an unreadable HB2-looking text is taken for (``input_kind``)."""
    from huicui_verifier.decide import decide

    d = decide(text, bundle=hb2_bundle(), benefit=None, now=at(T0), history_lookup=lambda *a: [])
    assert d.reason == "malformed" and d.input_kind is not None, (text, d.reason)
    return d.input_kind


def _hb2_decision_vectors() -> dict[str, dict]:
    bound = make_bound()
    good = hb2.encode(bound, T0 - PROOF_AGE, PHONE)
    window = hb2.PROOF_WINDOW
    other_bound = make_bound(cti=bytes.fromhex("0123456789abcd00"))
    moved = hb2.join(bound, raw_proof(bound_raw=other_bound))
    retimed = hb2.join(
        bound,
        raw_proof(
            bound_raw=bound,
            payload=hb2.proof_payload(T0 - PROOF_AGE + 1),
            signature=PHONE.sign(
                cose.sig_structure(hb2.PROOF_PROTECTED, hb2.proof_payload(T0 - PROOF_AGE), bound)
            ),
        ),
    )
    bus, accepting, closed = "hb2-bus", "hb2-accept", "hb2-closed"
    stale_at = T0 + 7 * DAY
    v: dict[str, tuple] = {
        # refusals, in decision order
        "stale-closed": (
            "bundle expired at a fail-closed venue: a live code is refused too",
            hb2.encode(bound, stale_at - PROOF_AGE, PHONE),
            (False, "stale_bundle"),
            {"now": stale_at, "bundle": closed},
        ),
        "unknown-kid": (
            "bound certificate under a kid the bundle lacks",
            make_live(key=STRANGER, kid=KID_UNKNOWN),
            (False, "unknown_key"),
            {},
        ),
        "compromised-key": (
            "bound certificate signed by a compromised key",
            make_live(key=COMPROMISED, kid=KID_COMPROMISED),
            (False, "key_compromised"),
            {},
        ),
        "issuer-stranger": (
            "bound certificate signed by a stranger under the active kid",
            make_live(key=STRANGER),
            (False, "bad_signature"),
            {},
        ),
        "bound-phone-swapped": (
            "the device key in a signed bound certificate replaced by another phone's",
            hb2.encode(
                bound.replace(raw_key(PHONE), raw_key(OTHER_PHONE)), T0 - PROOF_AGE, OTHER_PHONE
            ),
            (False, "bad_signature"),
            {},
        ),
        "shown-as-hb1": (
            "the bound certificate re-encoded as an HB1 static card",
            text_of(bound),
            (False, "bound_as_static"),
            {},
        ),
        "shown-without-proof": (
            "an HB2 text holding only the bound certificate, no proof",
            hb2_text_of(bound),
            (False, "bound_as_static"),
            {},
        ),
        "static-at-refusing-venue": (
            "a static HB1 card on a bus that takes only live phone cards",
            make_cert(),
            (False, "static_refused"),
            {"bundle": bus},
        ),
        "proof-other-phone": (
            "proof signed by another phone than the one bound",
            hb2.join(bound, raw_proof(bound_raw=bound, phone=OTHER_PHONE)),
            (False, "device_signature_invalid"),
            {},
        ),
        "proof-moved": (
            "a proof made for another certificate of the same phone, moved onto this one",
            moved,
            (False, "device_signature_invalid"),
            {},
        ),
        "proof-retimed": (
            "proof's time changed after signing",
            retimed,
            (False, "device_signature_invalid"),
            {},
        ),
        "proof-signature-zero": (
            "all-zero proof signature",
            hb2.join(bound, raw_proof(bound_raw=bound, signature=bytes(64))),
            (False, "device_signature_invalid"),
            {},
        ),
        "too-old": (
            "proof exactly window + skew old: a recording",
            hb2.encode(bound, T0 - window - SKEW, PHONE),
            (False, "proof_too_old", ""),
            {},
        ),
        "too-old-hour": (
            "proof an hour old: a screenshot",
            hb2.encode(bound, T0 - 3600, PHONE),
            (False, "proof_too_old", ""),
            {},
        ),
        "too-old-phone-behind": (
            "proof dated before the phone was bound: the phone's clock is behind",
            hb2.encode(bound, BOUND_IAT - SKEW - 60, PHONE),
            (False, "proof_too_old", "phone"),
            {},
        ),
        "future-phone-ahead": (
            "proof skew + 1 s ahead of the gate: the phone's clock is ahead",
            hb2.encode(bound, T0 + SKEW + 1, PHONE),
            (False, "proof_in_future", "phone"),
            {},
        ),
        "future-gate-behind": (
            "gate clock an hour before its own bundle's issue time: the gate is behind",
            hb2.encode(bound, T0 - DAY, PHONE),
            (False, "proof_in_future", "gate"),
            {"now": T0 - DAY - 3600, "warnings": ("clock_behind",)},
        ),
        "replayed": (
            "the same live code shown a second time at this device",
            good,
            (False, "replayed"),
            {"earlier": [good]},
        ),
        "replayed-after-refusal": (
            "a live code refused once (benefit not held) and shown again: still a replay",
            make_live(benefits=(2,)),
            (False, "replayed"),
            {"earlier": [make_live(benefits=(2,))]},
        ),
        "not-yet-valid": (
            "bound certificate dated an hour ahead, fresh proof",
            make_live(iat=T0 + 3600),
            (False, "not_yet_valid"),
            {},
        ),
        "expired": (
            "bound certificate expired a day ago, fresh proof",
            make_live(exp=T0 - DAY, iat=T0 - 30 * DAY),
            (False, "expired"),
            {},
        ),
        "revoked": (
            "certificate id in the revoked list: the phone card falls with the paper one",
            make_live(cti=REVOKED_CTI),
            (False, "revoked"),
            {},
        ),
        "superseded-phone": (
            "the card moved to a newer phone: the old phone's live code",
            make_live(phone=OLD_PHONE),
            (False, "phone_superseded"),
            {},
        ),
        "benefit-not-held": (
            "holder lacks the scenic benefit",
            make_live(benefits=(2, 3)),
            (False, "benefit_not_held"),
            {},
        ),
        "outside-hours": (
            "scenic spot at 19:00 Shanghai",
            hb2.encode(bound, T0 + 9 * 3600 - PROOF_AGE, PHONE),
            (False, "outside_hours"),
            {"now": T0 + 9 * 3600},
        ),
        # accepted
        "ok-live": ("a live code five seconds old", good, (True, "ok"), {}),
        "ok-live-edge-old": (
            "proof window + skew - 1 s old: the last second it passes",
            hb2.encode(bound, T0 - window - SKEW + 1, PHONE),
            (True, "ok"),
            {},
        ),
        "ok-live-edge-future": (
            "proof exactly skew ahead of the gate",
            hb2.encode(bound, T0 + SKEW, PHONE),
            (True, "ok"),
            {},
        ),
        "ok-live-on-bus": (
            "a live code on a bus that refuses static cards",
            good,
            (True, "ok"),
            {"bundle": bus},
        ),
        "ok-live-another-proof": (
            "a new live code after an earlier one was used here",
            good,
            (True, "ok"),
            {"earlier": [hb2.encode(bound, T0 - PROOF_AGE - 10, PHONE)]},
        ),
        "ok-static-check-id": (
            "a static card where the venue compares ID documents: accepted with the prompt",
            make_cert(),
            (True, "ok"),
            {},
        ),
        "ok-static-accept": (
            "a static card where the venue accepts static cards",
            make_cert(),
            (True, "ok"),
            {"bundle": accepting},
        ),
        "ok-live-directory-3": (
            "bound certificate from directory 3",
            make_live(directory=3),
            (True, "ok"),
            {},
        ),
    }
    out = {}
    for name, (desc, text, expected, opts) in v.items():
        vector = _decision(
            desc,
            text,
            expected=expected[:2],
            now=opts.get("now", T0),
            benefit=opts.get("benefit"),
            bundle_name=opts.get("bundle", "hb2"),
            warnings=opts.get("warnings", ()),
        )
        if opts.get("earlier"):
            vector["earlier"] = opts["earlier"]
        if len(expected) > 2:
            vector["expected"]["clock"] = expected[2]
        out[name] = vector
    return out


def hb2_vectors() -> dict[str, dict]:
    """Every HB2 decision vector by name (file ``hb2/<name>.json``)."""
    return {
        **{f"malformed-{k}": v for k, v in _hb2_malformed_vectors().items()},
        **_hb2_decision_vectors(),
    }


def main(argv: list[str]) -> int:
    """Write the manifest and the vector files (replacing stale ones)."""
    files = build_vectors()
    for folder in ("hb1", "hb2", "bundle"):
        (VECTOR_ROOT / folder).mkdir(parents=True, exist_ok=True)
        for old in (VECTOR_ROOT / folder).glob("*.json"):
            if f"{folder}/{old.name}" not in files:
                old.unlink()
    for name, text in files.items():
        (VECTOR_ROOT / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} files to {VECTOR_ROOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
