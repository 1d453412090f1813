import os

import pytest
from huicui_verifier.decide import REASONS, decide, select_benefit
from huicui_verifier.reasons import WARNINGS
from huicui_verifier.revocations import pack

ALL_CODES = {
    "ok",
    "malformed",
    "unknown_key",
    "key_compromised",
    "bad_signature",
    "not_yet_valid",
    "expired",
    "revoked",
    "benefit_not_held",
    "not_honored",
    "outside_hours",
    "limit_reached",
    "stale_bundle",
    "no_bundle",
    # HB2 and the static-card policy (docs/hb2.md)
    "bound_as_static",
    "static_refused",
    "device_signature_invalid",
    "proof_too_old",
    "proof_in_future",
    "replayed",
    "phone_superseded",
}


def no_history(cti, benefit):
    return []


def run(gen, text, bundle, *, now=None, benefit=None, history=no_history):
    return decide(
        text,
        bundle=bundle,
        benefit=benefit,
        now=gen.at(gen.T0 if now is None else now),
        history_lookup=history,
    )


def test_reasons_table_covers_every_code_in_both_languages():
    assert set(REASONS) == ALL_CODES
    for zh, en in [*REASONS.values(), *WARNINGS.values()]:
        assert zh and en and zh != en
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh)


def test_accept_describes_what_the_holder_gets(gen, scenic):
    d = run(gen, gen.make_cert(), scenic)
    assert d.accepted and d.reason == "ok"
    assert (d.name, d.id_last4) == ("李晓明", "123X")
    assert (d.benefit, d.benefit_slug) == (1, "scenic")
    assert d.benefit_name_zh == "景区免费游览"
    assert d.effect_zh == "免费，可携同行 1 人" and d.effect_en == "Free, up to 1 companion"
    assert d.companions == 1
    assert d.policy_message_zh == "请走绿色通道"
    assert d.staff_check == "核对姓名与证件后四位 / Check name and last four of ID"
    assert d.message_zh.startswith("通过") and d.message_en.startswith("Accepted")
    assert d.cti == gen.CTI.hex() and d.kid == gen.KID_ACTIVE.hex()
    assert d.cert_exp == gen.CERT_EXP and d.venue_id == 501 and d.bundle_version == 7
    assert d.warnings == ()


def test_no_bundle(gen):
    d = run(gen, gen.make_cert(), None)
    assert (d.accepted, d.reason) == (False, "no_bundle")


def test_malformed_shows_no_holder(gen, scenic):
    d = run(gen, "HB1:XYZ", scenic)
    assert (d.accepted, d.reason) == (False, "malformed")
    assert d.name is None and d.cti is None and d.detail_en


def test_unknown_and_compromised_keys(gen, scenic):
    assert (
        run(gen, gen.make_cert(key=gen.STRANGER, kid=gen.KID_UNKNOWN), scenic).reason
        == "unknown_key"
    )
    d = run(gen, gen.make_cert(key=gen.COMPROMISED, kid=gen.KID_COMPROMISED), scenic)
    assert d.reason == "key_compromised" and d.name is None


def test_tampering_is_bad_signature_and_shows_no_name(gen, scenic):
    good = gen.make_cert()
    for text in (
        gen.flip_bit(good, inside=gen.CTI),
        gen.flip_bit(good, inside=b"123X"),
        gen.flip_bit(good, at=-1),
    ):
        d = run(gen, text, scenic)
        assert (d.accepted, d.reason) == (False, "bad_signature")
        assert d.name is None and d.id_last4 is None


def test_forged_by_stranger_under_known_kid(gen, scenic):
    assert run(gen, gen.make_cert(key=gen.STRANGER), scenic).reason == "bad_signature"


def test_retired_key_verifies_only_for_certificates_issued_in_service(gen, scenic):
    ok = gen.make_cert(key=gen.RETIRED, kid=gen.KID_RETIRED, iat=gen.RETIRED_UNTIL - gen.DAY)
    late = gen.make_cert(key=gen.RETIRED, kid=gen.KID_RETIRED, iat=gen.RETIRED_UNTIL + gen.DAY)
    assert run(gen, ok, scenic).accepted
    assert run(gen, late, scenic).reason == "unknown_key"


def test_validity_window_with_skew(gen, scenic):
    skew = scenic.skew
    assert run(gen, gen.make_cert(iat=gen.T0 + skew), scenic).accepted
    assert run(gen, gen.make_cert(iat=gen.T0 + skew + 1), scenic).reason == "not_yet_valid"
    assert run(gen, gen.make_cert(exp=gen.T0 - skew + 1), scenic).accepted
    d = run(gen, gen.make_cert(exp=gen.T0 - skew), scenic)
    assert d.reason == "expired" and d.name == "李晓明" and "有效期至" in d.detail_zh


def test_skew_comes_from_the_bundle(gen):
    strict = gen.make_bundle(skew=0)
    assert run(gen, gen.make_cert(iat=gen.T0 + 1), strict).reason == "not_yet_valid"
    assert run(gen, gen.make_cert(exp=gen.T0), strict).reason == "expired"


def test_revoked_among_a_large_set(gen):
    ids = [os.urandom(8) for _ in range(50_000)]
    target = ids[31_337]
    b = gen.make_bundle(revoked=pack(ids))
    assert run(gen, gen.make_cert(cti=target), b).reason == "revoked"
    assert run(gen, gen.make_cert(cti=bytes(8)), b).accepted or bytes(8) in ids


def test_benefit_not_held_and_not_honored(gen, scenic):
    assert run(gen, gen.make_cert(benefits=(2, 3)), scenic).reason == "benefit_not_held"
    assert run(gen, gen.make_cert(benefits=(2,)), scenic, benefit=1).reason == "benefit_not_held"
    d = run(gen, gen.make_cert(), scenic, benefit=2)
    assert d.reason == "not_honored" and d.benefit == 2 and d.benefit_slug == "ferry"


def test_benefit_selection_rules():
    assert select_benefit(None, (1, 2, 9), (9, 4)) == (9, None)
    assert select_benefit(None, (4, 9), (9, 4)) == (4, None)
    assert select_benefit(None, (1,), (9,)) == (None, "benefit_not_held")
    assert select_benefit(None, (1,), ()) == (None, "not_honored")
    assert select_benefit(2, (1,), (2,)) == (2, "benefit_not_held")
    assert select_benefit(2, (2,), (1,)) == (2, "not_honored")


def test_outside_hours(gen, scenic):
    d = run(gen, gen.make_cert(), scenic, now=gen.T0 + 9 * 3600)  # 19:00 Shanghai
    assert d.reason == "outside_hours" and "08:00–18:00" in d.detail_zh


def test_limit_reached_uses_the_history(gen, scenic):
    calls = []

    def history(cti, benefit):
        calls.append((cti, benefit))
        return [(gen.T0 - 3600, 501)]  # one accepted use an hour ago, same Shanghai day

    d = run(gen, gen.make_cert(), scenic, history=history)
    assert d.reason == "limit_reached" and "今日已用 1 次" in d.detail_zh
    assert calls == [(gen.CTI.hex(), 1)]
    assert run(
        gen, gen.make_cert(), scenic, history=lambda c, b: [(gen.T0 - gen.DAY, 501)]
    ).accepted


def test_stale_bundle_fail_closed_refuses_before_key_checks(gen):
    closed = gen.make_bundle(venue={"fail_mode": "closed"})
    later = gen.T0 + 7 * gen.DAY
    assert run(gen, gen.make_cert(), closed, now=later).reason == "stale_bundle"
    assert run(gen, gen.make_cert(key=gen.STRANGER), closed, now=later).reason == "stale_bundle"
    assert run(gen, "garbage", closed, now=later).reason == "malformed"
    assert run(gen, gen.make_cert(), closed).accepted


def test_stale_bundle_fail_open_decides_with_a_warning(gen, scenic):
    later = gen.T0 + 7 * gen.DAY
    d = run(gen, gen.make_cert(), scenic, now=later)
    assert d.accepted and [w.code for w in d.warnings] == ["stale_bundle"]
    d = run(gen, gen.make_cert(cti=gen.REVOKED_CTI), scenic, now=later)
    assert d.reason == "revoked" and [w.code for w in d.warnings] == ["stale_bundle"]


def test_clock_behind_bundle_warns(gen, scenic):
    d = run(gen, gen.make_cert(), scenic, now=scenic.checked_at - 3600)
    assert d.accepted and [w.code for w in d.warnings] == ["clock_behind"]
    assert run(gen, gen.make_cert(), scenic, now=scenic.checked_at - 10).warnings == ()


def test_decision_order_first_failure_wins(gen, scenic):
    # Revoked and expired: expiry comes first. Revoked and not held: revoked first.
    assert (
        run(gen, gen.make_cert(cti=gen.REVOKED_CTI, exp=gen.T0 - gen.DAY), scenic).reason
        == "expired"
    )
    assert run(gen, gen.make_cert(cti=gen.REVOKED_CTI, benefits=(2,)), scenic).reason == "revoked"
    # Unknown key beats everything after it, even an expired certificate.
    assert (
        run(
            gen, gen.make_cert(key=gen.STRANGER, kid=gen.KID_UNKNOWN, exp=gen.T0 - gen.DAY), scenic
        ).reason
        == "unknown_key"
    )
    # Not honored comes before opening hours.
    assert (
        run(gen, gen.make_cert(), scenic, benefit=2, now=gen.T0 + 9 * 3600).reason == "not_honored"
    )


def test_naive_now_is_refused(gen, scenic):
    from datetime import datetime

    with pytest.raises(ValueError):
        decide(
            gen.make_cert(),
            bundle=scenic,
            benefit=None,
            now=datetime(2026, 3, 2),
            history_lookup=no_history,
        )


def test_far_future_dates_do_not_crash(gen, scenic):
    from huicui_verifier.hb1 import MAX_TIMESTAMP

    d = run(gen, gen.make_cert(iat=MAX_TIMESTAMP - 1, exp=MAX_TIMESTAMP), scenic)
    assert d.reason == "not_yet_valid" and "9999" in d.detail_zh


def test_bundle_with_unknown_time_zone_is_refused(gen):
    with pytest.raises(ValueError, match="time zone"):
        gen.make_bundle(tz="Mars/Olympus")
