import hashlib
import os
import time

import cbor2
import pytest
from huicui_verifier import bundle as B
from huicui_verifier import cose
from huicui_verifier.revocations import RevocationSet, pack


def load(gen, data, *, pinned=None, held=None, now=None):
    return B.load(
        data,
        pinned_key=pinned if pinned is not None else gen.raw_key(gen.BUNDLE_SIGNER),
        held_version=held,
        now=gen.at(now if now is not None else gen.T0),
    )


def test_signed_bundle_loads_against_pinned_key(gen):
    data = gen.make_bundle()
    b = load(gen, data)
    assert b.version == 7
    assert b.venue.id == 501 and b.venue.fail_mode == "open"
    assert set(b.keys) == {gen.KID_ACTIVE, gen.KID_RETIRED, gen.KID_COMPROMISED}
    assert sorted(b.benefits) == list(range(1, 11))
    assert gen.REVOKED_CTI in b.revoked and gen.CTI not in b.revoked
    assert b.payload.directories[3].zh == "候鸟人才"
    assert not b.expired
    assert b.raw == data


def test_file_is_tagged_cose_sign1_with_hashed_kid(gen):
    data = gen.make_bundle()
    obj = cbor2.loads(data)
    assert obj.tag == 18
    header = cbor2.loads(obj.value[0])
    key = gen.raw_key(gen.BUNDLE_SIGNER)
    assert header == {1: -8, 4: hashlib.sha256(key).digest()[:4]}
    payload = cbor2.loads(obj.value[2])
    assert payload["format"] == 1 and payload["tz"] == "Asia/Shanghai" and payload["skew"] == 300
    assert isinstance(payload["revoked"], bytes) and len(payload["revoked"]) == 24


def test_build_is_deterministic(gen):
    assert gen.make_bundle() == gen.make_bundle()


def test_wrong_pinned_key_is_refused(gen):
    data = gen.make_bundle(signer=gen.OTHER_BUNDLE_SIGNER)
    with pytest.raises(B.BundleError) as err:
        load(gen, data)
    assert err.value.code == "wrong_key"


def test_same_kid_other_key_is_bad_signature(gen):
    # A forger who copies the pinned kid into the header still fails the signature check.
    obj = cbor2.loads(gen.make_bundle(signer=gen.OTHER_BUNDLE_SIGNER))
    kid = B.bundle_kid(gen.raw_key(gen.BUNDLE_SIGNER))
    forged = cbor2.dumps(
        cbor2.CBORTag(18, [cose.protected_header(kid), {}, obj.value[2], obj.value[3]])
    )
    with pytest.raises(B.BundleError) as err:
        load(gen, forged)
    assert err.value.code == "bad_signature"


def test_tampered_payload_is_refused(gen):
    data = bytearray(gen.make_bundle())
    i = data.index(b"Silver Beach")
    data[i] ^= 0x20
    with pytest.raises(B.BundleError) as err:
        load(gen, bytes(data))
    assert err.value.code == "bad_signature"


def test_older_version_is_refused_same_or_newer_loads(gen):
    data = gen.make_bundle(version=7)
    with pytest.raises(B.BundleError) as err:
        load(gen, data, held=8)
    assert err.value.code == "older_version"
    assert load(gen, data, held=7).version == 7
    assert load(gen, data, held=6).version == 7


def test_expiry_is_a_flag_not_a_refusal(gen):
    b = load(gen, gen.make_bundle(), now=gen.T0 + 30 * gen.DAY)
    assert b.expired
    assert b.is_stale(gen.T0 + 30 * gen.DAY) and not b.is_stale(gen.T0)


def test_trust_on_first_use_against_embedded_key(gen):
    data = gen.make_bundle(signer=gen.OTHER_BUNDLE_SIGNER)
    b = B.load(data, pinned_key=None, held_version=None, now=gen.at(gen.T0))
    assert b.fingerprint == B.fingerprint(gen.raw_key(gen.OTHER_BUNDLE_SIGNER))


def test_tofu_refuses_signature_by_another_key(gen):
    # The payload names key A but the signature is by key B: TOFU must not accept it.
    payload = gen.make_payload()
    raw = cose.sign(
        B.encode_payload(payload), gen.OTHER_BUNDLE_SIGNER, B.bundle_kid(payload.bundle_key)
    )
    with pytest.raises(B.BundleError) as err:
        B.load(raw, pinned_key=None, held_version=None, now=gen.at(gen.T0))
    assert err.value.code == "bad_signature"


def test_fingerprint_format(gen):
    fp = B.fingerprint(bytes(32))
    digest = hashlib.sha256(bytes(32)).hexdigest().upper()[:32]
    assert fp == "-".join(digest[i : i + 4] for i in range(0, 32, 4))
    assert len(fp) == 39 and fp.count("-") == 7
    assert B.normalize_fingerprint(fp.lower().replace("-", " ")) == fp


def test_build_refuses_invalid_payloads(gen):
    with pytest.raises(ValueError, match="bundle_key"):
        B.build_and_sign(gen.make_payload(), gen.OTHER_BUNDLE_SIGNER)
    with pytest.raises(ValueError, match="lacks"):
        gen.make_bundle(venue={"benefits": (1, 42)})
    with pytest.raises(ValueError, match="iat < exp"):
        gen.make_bundle(exp=gen.T0 - 2 * gen.DAY)
    with pytest.raises(ValueError, match="sorted"):
        gen.make_bundle(revoked=b"\x00" * 7 + b"\x02" + b"\x00" * 7 + b"\x01")
    bad_policy = gen.benefit_table()[0]
    import msgspec

    broken = msgspec.structs.replace(
        bad_policy, policy=msgspec.structs.replace(bad_policy.policy, limits=(gen.Limit(0, "day"),))
    )
    with pytest.raises(ValueError, match="positive"):
        gen.make_bundle(benefits=(broken, *gen.benefit_table()[1:]))


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "malformed"),
        (b"\xff" * 10, "malformed"),
        (cbor2.dumps({"format": 1}), "malformed"),
        (cbor2.dumps(cbor2.CBORTag(18, [b"", {}, b"", b""])), "malformed"),
    ],
)
def test_garbage_is_refused_with_a_code(gen, data, code):
    with pytest.raises(B.BundleError) as err:
        load(gen, data)
    assert err.value.code == code


def test_unknown_policy_field_refuses_the_bundle(gen):
    # A rule this verifier does not understand must not be silently ignored.
    payload = gen.make_payload()
    import msgspec

    raw_map = msgspec.to_builtins(payload, builtin_types=(bytes,))
    raw_map["benefits"][0]["policy"]["max_age"] = 70
    signed = cose.sign(
        cbor2.dumps(raw_map, canonical=True), gen.BUNDLE_SIGNER, B.bundle_kid(payload.bundle_key)
    )
    with pytest.raises(B.BundleError) as err:
        load(gen, signed)
    assert err.value.code == "malformed" and "max_age" in err.value.detail


@pytest.mark.parametrize("field", ["revoked", "bundle_key"])
def test_byte_fields_given_as_text_refuse_the_bundle(gen, field):
    # Found by the differential test against the JS engine: msgspec reads base64 text
    # as bytes unless told not to, so "revoked": "" loaded as an empty revocation list.
    payload = gen.make_payload()
    import base64

    import msgspec

    raw_map = msgspec.to_builtins(payload, builtin_types=(bytes,))
    raw_map[field] = base64.b64encode(raw_map[field]).decode()
    signed = cose.sign(
        cbor2.dumps(raw_map, canonical=True), gen.BUNDLE_SIGNER, B.bundle_kid(payload.bundle_key)
    )
    with pytest.raises(B.BundleError) as err:
        load(gen, signed)
    assert err.value.code == "malformed" and field in err.value.detail


def test_unknown_format_is_named(gen):
    payload = gen.make_payload()
    import msgspec

    raw_map = msgspec.to_builtins(payload, builtin_types=(bytes,))
    raw_map["format"] = 2
    signed = cose.sign(
        cbor2.dumps(raw_map, canonical=True), gen.BUNDLE_SIGNER, B.bundle_kid(payload.bundle_key)
    )
    with pytest.raises(B.BundleError) as err:
        load(gen, signed)
    assert err.value.code == "unsupported_format"


def test_100k_revocations_round_trip_and_look_up_fast(gen):
    rng_ids = [os.urandom(8) for _ in range(100_000)]
    data = gen.make_bundle(revoked=pack([*rng_ids, gen.REVOKED_CTI]))
    assert len(data) > 800_000
    started = time.perf_counter()
    b = load(gen, data)
    load_seconds = time.perf_counter() - started
    assert len(b.revoked) == len(set(rng_ids)) + 1
    assert all(cti in b.revoked for cti in rng_ids[:1000])
    assert os.urandom(8) not in b.revoked
    started = time.perf_counter()
    for cti in rng_ids[:10_000]:
        assert cti in b.revoked
    per_lookup = (time.perf_counter() - started) / 10_000
    assert per_lookup < 20e-6
    assert load_seconds < 2.0


def test_revocation_set_edges():
    r = RevocationSet(pack([b"\x00" * 8, b"\xff" * 8]))
    assert b"\xff" * 8 in r and b"\x00" * 8 in r
    assert b"\x00" * 7 not in r and "text" not in r
    with pytest.raises(ValueError):
        RevocationSet(b"\x00" * 9)
    with pytest.raises(ValueError):
        pack([b"short"])
