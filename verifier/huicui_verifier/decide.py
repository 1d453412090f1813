"""The offline decision: one scanned text, one bundle, one answer with its reason.

The checks run in a fixed order (``docs/verifier.md`` explains why each sits where it
does); the first that fails names the refusal. Pure: the caller supplies the clock and
the device's own history, and records the decision before showing it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import msgspec
from cryptography.exceptions import InvalidSignature

from . import cose, hb1, hb2
from .bundle import Bundle, KeyEntry
from .clock import last_valid_day, local_text, require_aware
from .policy import BenefitInfo, evaluate
from .reasons import CHECK_ID, CLOCKS, INPUTS, LIVE_CARD, REASONS, STAFF_CHECK, WARNINGS

__all__ = [
    "REASONS",
    "Decision",
    "HistoryLookup",
    "Notice",
    "ProofLookup",
    "decide",
    "select_benefit",
]

HistoryLookup = Callable[[str, int], Sequence[tuple[int, int]]]
"""``(cti hex, benefit code) -> [(epoch seconds, venue id), ...]`` of earlier accepted uses."""

ProofLookup = Callable[[bytes], bool]
"""``proof id -> True`` when this device has already seen that HB2 proof (``hb2.proof_id``)."""


def _never_seen(proof: bytes) -> bool:
    return False


class Notice(msgspec.Struct, frozen=True):
    """A warning shown with a decision (it does not change the answer)."""

    code: str
    message_zh: str
    message_en: str


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    """The answer shown at the gate and written to the log.

    ``message_zh``/``message_en`` are what staff read first; ``detail_*`` add the
    specifics (a limit's count, the last valid day, what an unreadable code looks like).
    ``input_kind`` is set for ``malformed``: a key of ``reasons.INPUTS``. Holder fields
    are filled only once the signature has verified, so a forged code never puts a name
    on the screen.
    """

    accepted: bool
    reason: str
    message_zh: str
    message_en: str
    at: int
    detail_zh: str = ""
    detail_en: str = ""
    input_kind: str | None = None
    name: str | None = None
    id_last4: str | None = None
    benefit: int | None = None
    benefit_slug: str | None = None
    benefit_name_zh: str | None = None
    benefit_name_en: str | None = None
    effect_zh: str = ""
    effect_en: str = ""
    companions: int = 0
    policy_message_zh: str = ""
    policy_message_en: str = ""
    staff_check_zh: str = ""
    staff_check_en: str = ""
    warnings: tuple[Notice, ...] = ()
    cti: str | None = None
    kid: str | None = None
    cert_exp: int | None = None
    venue_id: int | None = None
    bundle_version: int | None = None
    card: str = ""  # "static" (HB1) or "phone" (HB2), once the code was read
    id_check: bool = False  # the staff were told to compare the ID document (check_id)
    proof_at: int | None = None  # HB2: the time the phone signed, epoch seconds
    proof_id: str | None = None  # HB2: set once the proof passed; the log remembers it
    clock: str = ""  # "phone" or "gate": the clock that looks wrong (proof time refusals)

    @property
    def staff_check(self) -> str:
        """Both languages of the staff check, e.g. ``核对姓名与证件后四位 / Check name …``."""
        return f"{self.staff_check_zh} / {self.staff_check_en}" if self.staff_check_zh else ""


def _notice(code: str) -> Notice:
    zh, en = WARNINGS[code]
    return Notice(code=code, message_zh=zh, message_en=en)


def select_benefit(
    requested: int | None, held: Sequence[int], honored: Sequence[int]
) -> tuple[int | None, str | None]:
    """Choose the benefit to redeem, or name the refusal.

    Returns ``(code, None)`` or ``(code_or_None, reason)``. With no request the lowest
    code that is both held and honored here is used (the only one, at most venues).
    """
    if requested is not None:
        if requested not in held:
            return requested, "benefit_not_held"
        if requested not in honored:
            return requested, "not_honored"
        return requested, None
    both = set(held).intersection(honored)
    if both:
        return min(both), None
    return None, ("benefit_not_held" if honored else "not_honored")


def _fast_select_benefit(
    requested: int | None, held_sorted: tuple[int, ...], honored: Sequence[int]
) -> tuple[int | None, str | None]:
    """:func:`select_benefit` for a certificate's benefits, which are sorted: the first code
    also honored here is the lowest held and honored, found without building a set."""
    if requested is not None:
        return select_benefit(requested, held_sorted, honored)
    for held in held_sorted:
        if held in honored:
            return held, None
    return None, ("benefit_not_held" if honored else "not_honored")


def _fast_verify(bundle: Bundle, key: KeyEntry, decoded: hb1.Decoded) -> bool:
    """:func:`hb1.verify` with the key object the bundle built at load time, so a scan
    does not rebuild one; a key the library would not build is verified from its bytes."""
    public_key = bundle.public_keys.get(key.pub)
    if public_key is None:
        return hb1.verify(decoded, key.pub)
    try:
        public_key.verify(decoded.signature, cose.sig_structure(decoded.protected, decoded.payload))
    except InvalidSignature:
        return False
    return True


def _unreadable_detail(exc: hb1.HB1Error) -> tuple[str, str]:
    """What staff read for an unreadable code: a sentence in zh, then en with the rule."""
    zh, en = INPUTS[exc.kind]
    if exc.kind == "damaged":  # the broken rule helps whoever supports the holder
        en = f"{en} ({exc.detail})"
    return zh, en


def decide(
    text: str,
    *,
    bundle: Bundle | None,
    benefit: int | None,
    now: datetime,
    history_lookup: HistoryLookup,
    proof_seen: ProofLookup = _never_seen,
) -> Decision:
    """Decide one scan offline.

    Order: decode → stale bundle (fail-closed venues) → known key → signature → (HB2:
    phone signature → proof time window (± skew) → not replayed here; HB1: the venue's
    static-card policy) → validity window (± the bundle's skew) → revoked → (HB2:
    superseded phone) → benefit held → honored here → opening hours → limits → accept.
    Never raises for any ``text``; ``now`` must be aware. ``proof_seen`` answers whether
    this device has seen an HB2 proof before (``DecisionLog.proof_seen``).
    """
    now_ts = require_aware(now)
    base: dict = {"at": now_ts}
    warnings: list[Notice] = []

    def refuse(reason: str, detail_zh: str = "", detail_en: str = "", **extra: object) -> Decision:
        zh, en = REASONS[reason]
        return Decision(
            accepted=False,
            reason=reason,
            message_zh=zh,
            message_en=en,
            detail_zh=detail_zh,
            detail_en=detail_en,
            warnings=tuple(warnings),
            **{**base, **extra},
        )

    if bundle is None:
        return refuse("no_bundle")
    base["venue_id"] = bundle.venue.id
    base["bundle_version"] = bundle.version

    # The code read: an HB1 static card, an HB2 phone card, or a bound certificate
    # shown without its proof (refused once its issuer signature proves it genuine).
    decoded: hb1.Decoded | hb2.BoundCertificate
    live: hb2.Decoded | None = None
    shown_as_static = False
    try:
        if type(text) is str and text.startswith(hb2.PREFIX):
            live = hb2.decode(text)
            decoded = live.bound
            base["card"] = "phone"
        else:
            decoded = hb1.decode(text)
            base["card"] = "static"
    except hb1.HB1Error as exc:  # HB2Error is one too
        bound = hb2.bound_shown_as_static(text)
        if bound is None:
            return refuse(exc.reason, *_unreadable_detail(exc), input_kind=exc.kind)
        decoded, shown_as_static = bound, True
    claims = decoded.claims
    base["cti"] = cti_hex = claims.cti.hex()
    base["kid"] = decoded.kid.hex()

    if bundle.is_stale(now_ts):
        if bundle.venue.fail_mode == "closed":
            return refuse(
                "stale_bundle",
                f"有效期至 {local_text(bundle.fresh_until, bundle.tz)}",
                f"bundle expired {local_text(bundle.fresh_until, bundle.tz)}",
            )
        warnings.append(_notice("stale_bundle"))
    elif bundle.behind:
        warnings.append(_notice("bundle_behind"))
    if now_ts < bundle.checked_at - bundle.skew:
        warnings.append(_notice("clock_behind"))

    key = bundle.keys.get(decoded.kid)
    if key is None:
        return refuse(
            "unknown_key", "", f"kid {decoded.kid.hex()} is not in bundle {bundle.version}"
        )
    if key.state == "compromised":
        return refuse("key_compromised", "", f"kid {decoded.kid.hex()} is marked compromised")
    if not _fast_verify(bundle, key, decoded):
        return refuse("bad_signature")

    base["name"] = claims.name
    base["id_last4"] = claims.id_last4
    base["cert_exp"] = claims.exp
    skew = bundle.skew
    if claims.iss != bundle.program:
        return refuse(
            "unknown_key",
            "",
            f"issued by program {claims.iss!r}, this bundle is {bundle.program!r}",
        )
    if claims.iat < key.nbf - skew or (key.exp is not None and claims.iat > key.exp + skew):
        return refuse(
            "unknown_key", "", "the key was not in service when this certificate was issued"
        )

    if shown_as_static:
        return refuse("bound_as_static")
    staff_check = STAFF_CHECK
    if live is not None:
        proof = hb2.proof_id(live)
        problem = _live_problem(live, proof, now_ts, skew, bundle.checked_at, proof_seen)
        base["proof_at"] = live.proof.time
        if problem is not None:
            reason, clock = problem
            if not clock:
                return refuse(reason)
            zh, en = CLOCKS[clock]
            who = clock.partition("_")[0]
            return refuse(reason, zh, en, clock="" if who == "unknown" else who)
        base["proof_id"] = proof.hex()
        staff_check = LIVE_CARD
    else:
        static_card = bundle.venue.static_card
        if static_card == "refuse":
            return refuse("static_refused")
        if static_card == "check_id":
            base["id_check"] = True
            staff_check = CHECK_ID

    if now_ts < claims.iat - skew:
        when = local_text(claims.iat, bundle.tz)
        return refuse("not_yet_valid", f"生效时间 {when}", f"valid from {when}")
    if now_ts >= claims.exp + skew:
        day = last_valid_day(claims.exp, bundle.tz)
        return refuse("expired", f"有效期至 {day}", f"valid until {day}")
    if claims.cti in bundle.revoked:
        return refuse("revoked")
    if (
        live is not None
        and len(bundle.superseded)  # most days none: no hash to compute
        and hb2.device_key_hash(live.bound.device_key) in bundle.superseded
    ):
        return refuse("phone_superseded")

    code, problem = _fast_select_benefit(benefit, claims.benefits, bundle.venue.honored)
    info: BenefitInfo | None = bundle.benefits.get(code) if code is not None else None
    if code is not None:
        base["benefit"] = code
    if info is not None:
        base["benefit_slug"] = info.slug
        base["benefit_name_zh"] = info.name_zh
        base["benefit_name_en"] = info.name_en
    if problem is None and info is None:
        problem = "not_honored"
    if problem is not None:
        return refuse(problem)
    assert info is not None and code is not None

    outcome = evaluate(
        info.policy,
        now=now,
        history=history_lookup(cti_hex, code),
        venue_id=bundle.venue.id,
        tz=bundle.tz,
    )
    base["effect_zh"] = outcome.effect_zh
    base["effect_en"] = outcome.effect_en
    base["policy_message_zh"] = outcome.message_zh
    base["policy_message_en"] = outcome.message_en
    if not outcome.allowed:
        return refuse(outcome.reason, outcome.detail_zh, outcome.detail_en)

    return Decision(
        accepted=True,
        reason="ok",
        message_zh=f"通过：{info.name_zh}，{outcome.effect_zh}",
        message_en=f"Accepted: {info.name_en}, {outcome.effect_en}",
        companions=outcome.companions,
        staff_check_zh=staff_check[0],
        staff_check_en=staff_check[1],
        warnings=tuple(warnings),
        **base,
    )


def _live_problem(
    live: hb2.Decoded,
    proof: bytes,
    now_ts: int,
    skew: int,
    bundle_iat: int,
    proof_seen: ProofLookup,
) -> tuple[str, str] | None:
    """Why an HB2 proof does not pass here, as ``(reason, clock text key)``, or None.

    The phone's signature, then its time: fresh when ``t - skew <= now < t + window +
    skew``. Outside it, the clock that looks wrong (``docs/hb2.md``): a proof from the
    future is the gate's fault when the gate's clock is behind its own bundle's issue
    time, else the phone's; a proof too old is the phone's fault when it is dated before
    its certificate was bound, else most likely a recording. Then the replay check.
    """
    if not hb2.verify_device(live):
        return "device_signature_invalid", ""
    t = live.proof.time
    if t > now_ts + skew:
        return "proof_in_future", ("gate_behind" if now_ts < bundle_iat - skew else "phone_ahead")
    if now_ts >= t + hb2.PROOF_WINDOW + skew:
        behind = t < live.bound.claims.iat - skew
        return "proof_too_old", ("phone_behind" if behind else "unknown")
    if proof_seen(proof):
        return "replayed", ""
    return None
