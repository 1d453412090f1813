"""HB2, the live phone card: encoding, strict reading, and what a gate does with it."""

import cbor2
import pytest
from huicui_verifier import base45, hb2
from huicui_verifier import bundle as B
from huicui_verifier.decide import decide
from huicui_verifier.gate import check_and_record
from huicui_verifier.log import DecisionLog


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"name": "名" * 7},  # 21 bytes: short head
        {"name": "名" * 8},  # 24 bytes: one-byte length head
        {"name": "名" * 32},
        {"directory": 3},
        {"directory": 70000},
        {"benefits": (1, 63)},  # a bit field needing the 8-byte head
        {"benefits": ()},
        {"iss": "BHAI", "id_last4": "7"},
    ],
)
def test_hand_written_claims_equal_cbor2_canonical_encoding(gen, overrides):
    """The reader proves bytes deterministic by re-encoding them with this encoder."""
    from huicui_verifier import hb1

    claims = gen.make_claims(**overrides)
    private = {1: claims.name, 2: claims.id_last4, 3: hb1.benefits_to_bits(claims.benefits)}
    if claims.directory != 1:
        private[4] = claims.directory
    private[5] = gen.raw_key(gen.PHONE)
    expected = cbor2.dumps(
        {1: claims.iss, 4: claims.exp, 6: claims.iat, 7: claims.cti, -65537: private},
        canonical=True,
    )
    assert hb2.bound_claims_to_cbor(claims, gen.raw_key(gen.PHONE)) == expected
    bound = hb2.read_bound(
        hb2.sign_bound(claims, gen.raw_key(gen.PHONE), gen.ISSUER, gen.KID_ACTIVE)
    )
    assert bound.claims == claims and bound.device_key == gen.raw_key(gen.PHONE)


def test_round_trip_and_both_signatures(gen):
    bound = gen.make_bound()
    decoded = hb2.decode(hb2.encode(bound, gen.T0, gen.PHONE))
    assert decoded.bound.raw == bound and decoded.proof.time == gen.T0
    assert decoded.bound.claims.cti == gen.CTI and decoded.bound.claims.iat == gen.BOUND_IAT
    assert hb2.verify_issuer(decoded.bound, gen.raw_key(gen.ISSUER))
    assert not hb2.verify_issuer(decoded.bound, gen.raw_key(gen.STRANGER))
    assert hb2.verify_device(decoded)
    forged = hb2.decode(hb2.join(bound, gen.raw_proof(bound_raw=bound, phone=gen.OTHER_PHONE)))
    assert not hb2.verify_device(forged)


def test_encoder_refuses_what_the_format_cannot_carry(gen):
    with pytest.raises(ValueError):
        hb2.bound_claims_to_cbor(gen.make_claims(), b"\x00" * 31)
    with pytest.raises(ValueError):
        hb2.bound_claims_to_cbor(gen.make_claims(name=""), gen.raw_key(gen.PHONE))
    with pytest.raises(ValueError):
        hb2.proof_payload(-1)


def test_three_character_name_with_ten_benefits_fits_version_10_at_l(gen):
    import zxingcpp

    text = hb2.encode(gen.make_bound(), gen.T0, gen.PHONE)
    assert len(text) <= 395
    symbol = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="L")
    assert symbol.to_image(scale=1, add_quiet_zones=False).shape == (57, 57)


def test_every_single_byte_change_is_refused_never_raised(gen):
    """Flip each byte of a live code: decode names a refusal or the signatures fail."""
    text = hb2.encode(gen.make_bound(), gen.T0, gen.PHONE)
    raw = base45.decode(text[4:])
    bundle = gen.hb2_bundle()
    for at in range(len(raw)):
        mutated = bytearray(raw)
        mutated[at] ^= 0x41
        d = decide(
            hb2.PREFIX + base45.encode(bytes(mutated)),
            bundle=bundle,
            benefit=None,
            now=gen.at(gen.T0),
            history_lookup=lambda cti, code: [],
        )
        assert not d.accepted, at


def test_every_truncation_is_refused_as_malformed_never_raised(gen):
    raw = base45.decode(hb2.encode(gen.make_bound(), gen.T0, gen.PHONE)[4:])
    bundle = gen.hb2_bundle()
    for end in range(len(raw)):
        for prefix in (hb2.PREFIX, "HB1:"):
            d = decide(
                prefix + base45.encode(raw[:end]),
                bundle=bundle,
                benefit=None,
                now=gen.at(gen.T0),
                history_lookup=lambda cti, code: [],
            )
            assert (d.accepted, d.reason) == (False, "malformed"), (prefix, end)


def test_a_gate_refuses_the_second_showing_even_after_reopening_its_log(gen, tmp_path):
    bundle = gen.hb2_bundle()
    text = gen.make_live()
    path = tmp_path / "log.sqlite"
    with DecisionLog(path) as log:
        first = check_and_record(text, bundle=bundle, log=log, benefit=None, now=gen.at(gen.T0))
        assert first.accepted and first.card == "phone" and first.proof_id
    with DecisionLog(path) as log:
        again = check_and_record(text, bundle=bundle, log=log, benefit=None, now=gen.at(gen.T0 + 2))
        assert (again.accepted, again.reason) == (False, "replayed")
        assert log.proof_seen(bytes.fromhex(first.proof_id))
        rows = log.recent(5)
        assert [(r["reason"], r["card"]) for r in rows] == [("replayed", "phone"), ("ok", "phone")]


def test_limits_count_static_and_phone_cards_together(gen, tmp_path):
    """The scenic spot allows one entry a day: the paper card after the phone is one too many."""
    bundle = gen.hb2_bundle()
    with DecisionLog(tmp_path / "log.sqlite") as log:
        phone = check_and_record(
            gen.make_live(), bundle=bundle, log=log, benefit=None, now=gen.at(gen.T0)
        )
        paper = check_and_record(
            gen.make_cert(), bundle=bundle, log=log, benefit=None, now=gen.at(gen.T0 + 60)
        )
        new_phone = check_and_record(
            gen.make_live(phone=gen.OTHER_PHONE, at_time=gen.T0 + 110),
            bundle=bundle,
            log=log,
            benefit=None,
            now=gen.at(gen.T0 + 120),
        )
        # Uploads name the term's certificate id for both cards, so the service's misuse
        # detection (keyed on certificate_id) also sees one holder.
        assert {record.cti for record in log.pending(10)} == {gen.CTI.hex()}
    assert phone.accepted
    assert (paper.accepted, paper.reason) == (False, "limit_reached")
    assert (new_phone.accepted, new_phone.reason) == (False, "limit_reached")


def test_check_id_venue_prompts_and_the_log_records_it(gen, tmp_path):
    bundle = gen.hb2_bundle()
    with DecisionLog(tmp_path / "log.sqlite") as log:
        d = check_and_record(
            gen.make_cert(), bundle=bundle, log=log, benefit=None, now=gen.at(gen.T0)
        )
        row = log.recent(1)[0]
    assert d.accepted and d.id_check and d.card == "static"
    assert d.staff_check_zh.startswith("静态证件") and "ID document" in d.staff_check_en
    assert (row["card"], row["id_check"]) == ("static", 1)


def test_accept_venue_and_phone_cards_show_no_id_prompt(gen):
    accepting = gen.hb2_bundle(static_card="accept")
    static = decide(
        gen.make_cert(),
        bundle=accepting,
        benefit=None,
        now=gen.at(gen.T0),
        history_lookup=lambda c, b: [],
    )
    live = decide(
        gen.make_live(),
        bundle=gen.hb2_bundle(),
        benefit=None,
        now=gen.at(gen.T0),
        history_lookup=lambda c, b: [],
    )
    assert static.accepted and not static.id_check
    assert live.accepted and not live.id_check and live.proof_at == gen.T0 - gen.PROOF_AGE
    assert live.staff_check_en.startswith("Live phone card")


def test_the_profile_and_snapshot_carry_the_policy_and_superseded_phones(gen):
    """Format 2 carries both: the profile's static_card, the snapshot's superseded list."""
    plain = gen.make_bundle()
    assert plain.venue.static_card == "accept" and len(plain.superseded) == 0
    loaded = gen.hb2_bundle()
    assert loaded.venue.static_card == "check_id"
    assert hb2.device_key_hash(gen.raw_key(gen.OLD_PHONE)) in loaded.superseded
    with pytest.raises(ValueError):
        gen.make_files(superseded=b"\x01" * 7)


def test_a_refuse_venue_honors_nothing_for_a_verifier_that_predates_hb2(gen):
    """Its benefits move to live_benefits, so a reader of benefits alone refuses every
    static card there (not_honored) rather than ignoring the policy."""
    bus = gen.hb2_bundle(**gen.LIVE_ONLY_BUS)
    assert bus.venue.benefits == () and bus.venue.honored == (3,)
    profile = B.to_map(bus.venue)
    assert list(profile["benefits"]) == [] and list(profile["live_benefits"]) == [3]
    assert "live_benefits" not in B.to_map(gen.hb2_bundle().venue)
    for wrong in (
        {"static_card": "refuse", "benefits": (3,), "live_benefits": None},
        {"static_card": "refuse", "benefits": (3,), "live_benefits": (3,)},
        {"static_card": "check_id", "benefits": (), "live_benefits": (3,)},
    ):
        profile = gen.make_profile(**{**gen.LIVE_ONLY_BUS, **wrong})
        assert B.profile_problems(profile), wrong


def test_the_shortcut_for_usual_bound_claims_agrees_with_the_strict_reading(gen):
    """Whatever the shortcut takes, the strict reading takes with the same result: bound
    claims of several shapes, each byte changed, and each head written one size longer."""
    from huicui_verifier.hb2 import _exact_bound_claims, _strict_bound_claims

    payloads = [
        cbor2.loads(gen.make_bound(**over)).value[2]
        for over in ({}, {"name": "名" * 8}, {"directory": 3}, {"benefits": (1, 63)})
    ]
    taken = 0
    for payload in payloads:
        variants = [payload]
        for at in range(len(payload)):
            for flip in (0x01, 0x20, 0x80):
                changed = bytearray(payload)
                changed[at] ^= flip
                variants.append(bytes(changed))
            head = payload[at]
            if head >> 5 in (0, 2, 3) and 24 <= head & 0x1F <= 26:  # widen a 1..4-byte head
                size = 1 << ((head & 0x1F) - 24)
                value = int.from_bytes(payload[at + 1 : at + 1 + size], "big")
                wider = bytes([head + 1]) + value.to_bytes(size * 2, "big")
                variants.append(payload[:at] + wider + payload[at + 1 + size :])
        for variant in variants:
            fast = _exact_bound_claims(variant)
            if fast is None:
                continue
            taken += 1
            assert _strict_bound_claims(variant) == fast, variant.hex()
    assert taken >= len(payloads)
