"""Bundle format 2: the four signed files, the device view, deltas on big lists.

Every refusal of the reading rules is also a published catch-up vector
(tests/vectors/manifest.json, run by test_vectors.py); these tests pin the Python API
around them."""

import hashlib
import random

import cbor2
import msgspec
import pytest
from huicui_verifier import bundle as B
from huicui_verifier import cbor_check, cose, delta
from huicui_verifier.revocations import RevocationSet, pack, splice


def test_files_are_tagged_cose_sign1_with_hashed_kid_and_typed_payloads(gen):
    files = gen.make_files()
    key = gen.raw_key(gen.BUNDLE_SIGNER)
    for data, kind in (
        (files.snapshot, "snapshot"),
        (files.heartbeat, "heartbeat"),
        (files.profile, "profile"),
    ):
        obj = cbor2.loads(data)
        assert obj.tag == 18
        assert cbor2.loads(obj.value[0]) == {1: -8, 4: hashlib.sha256(key).digest()[:4]}
        payload = cbor2.loads(obj.value[2])
        assert payload["format"] == 2 and payload["type"] == kind and payload["program"] == "BH"
    beat = cbor2.loads(cbor2.loads(files.heartbeat).value[2])
    assert beat["hash"] == hashlib.sha256(cbor2.loads(files.snapshot).value[2]).digest()
    assert len(files.heartbeat) < 200  # a few hundred bytes at most, as promised


def test_device_view_joins_snapshot_profile_and_heartbeat(gen):
    b = gen.make_bundle()
    assert b.version == 7 and b.program == "BH" and b.skew == 300
    assert b.venue.id == 501 and b.venue.fail_mode == "open" and b.venue.static_card == "accept"
    assert set(b.keys) == {gen.KID_ACTIVE, gen.KID_RETIRED, gen.KID_COMPROMISED}
    assert sorted(b.benefits) == list(range(1, 11))
    assert gen.REVOKED_CTI in b.revoked and gen.CTI not in b.revoked
    assert b.snapshot.directories[3].zh == "候鸟人才"
    assert b.fresh_until == gen.T0 + 6 * gen.DAY and not b.behind
    # Stale from exp on: now == exp is already stale.
    assert not b.is_stale(b.fresh_until - 1) and b.is_stale(b.fresh_until)


def test_without_a_matching_heartbeat_the_data_is_stale(gen):
    files = gen.make_files(heartbeat=False)
    b = B.open_bundle(
        files.snapshot, None, files.profile, pinned_key=gen.raw_key(gen.BUNDLE_SIGNER)
    )
    assert b.is_stale(gen.T0)
    newer = gen.make_files(version=8)
    b = B.open_bundle(
        files.snapshot, newer.heartbeat, files.profile, pinned_key=gen.raw_key(gen.BUNDLE_SIGNER)
    )
    assert b.is_stale(gen.T0) and b.behind and b.latest_version == 8


def test_signing_is_deterministic(gen):
    assert gen.make_files().snapshot == gen.make_files().snapshot


@pytest.mark.parametrize("kind", ["snapshot", "heartbeat", "profile"])
def test_wrong_key_bad_signature_and_wrong_type(gen, kind):
    pinned = gen.raw_key(gen.BUNDLE_SIGNER)
    other = getattr(gen.make_files(signer=gen.OTHER_BUNDLE_SIGNER), kind)
    with pytest.raises(B.BundleError) as err:
        B.open_file(other, kind, pinned_key=pinned)
    assert err.value.code == "wrong_key"
    # A forger who copies the pinned kid into the header still fails the signature check.
    obj = cbor2.loads(other)
    forged = cbor2.dumps(
        cbor2.CBORTag(18, [cose.protected_header(B.bundle_kid(pinned)), {}, *obj.value[2:]])
    )
    with pytest.raises(B.BundleError) as err:
        B.open_file(forged, kind, pinned_key=pinned)
    assert err.value.code == "bad_signature"
    good = getattr(gen.make_files(), kind)
    wrong = "profile" if kind != "profile" else "heartbeat"
    with pytest.raises(B.BundleError) as err:
        B.open_file(good, wrong, pinned_key=pinned)
    assert err.value.code == "wrong_type"


def test_trust_on_first_use_only_for_a_snapshot_signed_by_its_own_key(gen):
    files = gen.make_files(signer=gen.OTHER_BUNDLE_SIGNER)
    opened = B.open_file(files.snapshot, "snapshot", pinned_key=None)
    assert B.fingerprint(opened.payload.bundle_key) == B.fingerprint(
        gen.raw_key(gen.OTHER_BUNDLE_SIGNER)
    )
    with pytest.raises(B.BundleError) as err:
        B.open_file(files.heartbeat, "heartbeat", pinned_key=None)
    assert err.value.code == "wrong_key"
    # The payload names key A, the signature is by key B: not accepted on first use.
    snap = gen.make_snapshot()
    raw = cose.sign(B.encode(snap), gen.OTHER_BUNDLE_SIGNER, B.bundle_kid(snap.bundle_key))
    with pytest.raises(B.BundleError) as err:
        B.open_file(raw, "snapshot", pinned_key=None)
    assert err.value.code == "bad_signature"


def test_other_program_and_venue_are_refused_by_name(gen):
    pinned = gen.raw_key(gen.BUNDLE_SIGNER)
    files = gen.make_files(program="BHX")
    with pytest.raises(B.BundleError) as err:
        B.open_bundle(
            files.snapshot, files.heartbeat, files.profile, pinned_key=pinned, program="BH"
        )
    assert err.value.code == "wrong_program"
    files = gen.make_files(venue={"id": 502})
    with pytest.raises(B.BundleError) as err:
        B.open_bundle(files.snapshot, files.heartbeat, files.profile, pinned_key=pinned, venue=501)
    assert err.value.code == "other_venue"


def test_fingerprint_format():
    fp = B.fingerprint(bytes(32))
    digest = hashlib.sha256(bytes(32)).hexdigest().upper()[:32]
    assert fp == "-".join(digest[i : i + 4] for i in range(0, 32, 4))
    assert len(fp) == 39 and fp.count("-") == 7
    assert B.normalize_fingerprint(fp.lower().replace("-", " ")) == fp


def test_sign_refuses_invalid_payloads(gen):
    with pytest.raises(ValueError, match="bundle_key"):
        B.sign(gen.make_snapshot(), gen.OTHER_BUNDLE_SIGNER)
    with pytest.raises(ValueError, match="iat < exp"):
        gen.make_files(exp=gen.T0 - 2 * gen.DAY)
    with pytest.raises(ValueError, match="sorted"):
        gen.make_files(revoked=b"\x00" * 7 + b"\x02" + b"\x00" * 7 + b"\x01")
    with pytest.raises(ValueError, match="sorted"):
        gen.make_files(venue={"benefits": (2, 1)})
    bad = gen.benefit_table()[0]
    broken = msgspec.structs.replace(
        bad, policy=msgspec.structs.replace(bad.policy, limits=(gen.Limit(0, "day"),))
    )
    with pytest.raises(ValueError, match="positive"):
        gen.make_files(benefits=(broken, *gen.benefit_table()[1:]))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff" * 10,
        cbor2.dumps({"format": 2}),
        cbor2.dumps(cbor2.CBORTag(18, [b"", {}, b"", b""])),
    ],
)
def test_garbage_is_malformed(gen, data):
    with pytest.raises(B.BundleError) as err:
        B.open_file(data, "heartbeat", pinned_key=gen.raw_key(gen.BUNDLE_SIGNER))
    assert err.value.code == "malformed"


def test_delta_round_trip_reproduces_the_signed_snapshot_exactly(gen):
    v7, v8, v9, v10 = (B.to_map(s) for s in gen.history())
    held, held_hash = v7, B.content_hash(B.encode(v7))
    for new in (v8, v9, v10):
        d = delta.make(held, new, program="BH")
        applied = delta.apply(held, held_hash, d)
        assert applied.payload_bytes == B.encode(new)
        held, held_hash = applied.obj, applied.hash
    assert len(B.encode(v10)) > 0 and held["keys"] == v10["keys"]


def test_delta_that_does_not_chain_is_refused(gen):
    v7, v8, v9, _ = (B.to_map(s) for s in gen.history())
    d = delta.make(v8, v9, program="BH")
    with pytest.raises(B.BundleError) as err:
        delta.apply(v7, B.content_hash(B.encode(v7)), d)
    assert err.value.code == "not_chained"
    with pytest.raises(B.BundleError) as err:  # right version, another hash
        delta.apply(v8, bytes(32), d)
    assert err.value.code == "not_chained"


def test_a_thousand_changes_to_a_million_ids(gen):
    rng = random.Random(11)
    ids = sorted({rng.randbytes(8) for _ in range(1_000_000)})
    old = gen.make_snapshot(revoked=b"".join(ids))
    gone = set(rng.sample(ids, 100))
    new_ids = sorted({rng.randbytes(8) for _ in range(900)} - set(ids))
    new = gen.make_snapshot(version=8, revoked=b"".join(sorted((set(ids) - gone) | set(new_ids))))
    old_map, new_map = B.to_map(old), B.to_map(new)
    d = delta.make(old_map, new_map, program="BH")
    assert len(d.revoked.add) == 900 * 8 and len(d.revoked.remove) == 100 * 8
    signed = B.sign(d, gen.BUNDLE_SIGNER)
    assert len(signed) < 10_240  # a thousand changes fit the 10 KB a device may download
    held_set = RevocationSet(old.revoked)
    applied = delta.apply(old_map, B.content_hash(B.encode(old_map)), d, revoked=held_set)
    assert applied.payload_bytes == B.encode(new_map)
    assert all(i in applied.revoked for i in new_ids) and not any(
        i in applied.revoked for i in gone
    )
    assert len(applied.revoked) == len(ids) - 100 + 900


def test_splice_refuses_lists_it_does_not_fit():
    base = pack([b"\x01" * 8, b"\x03" * 8])
    assert splice(base, add=b"\x02" * 8, remove=b"\x01" * 8) == pack([b"\x02" * 8, b"\x03" * 8])
    with pytest.raises(ValueError, match="already"):
        splice(base, add=b"\x01" * 8)
    with pytest.raises(ValueError, match="not in the list"):
        splice(base, remove=b"\x02" * 8)


def test_revocation_set_edges():
    r = RevocationSet(pack([b"\x00" * 8, b"\xff" * 8]))
    assert b"\xff" * 8 in r and b"\x00" * 8 in r
    assert b"\x00" * 7 not in r and "text" not in r
    with pytest.raises(ValueError):
        RevocationSet(b"\x00" * 9)
    with pytest.raises(ValueError):
        pack([b"short"])


@pytest.mark.parametrize(("kind", "field"), [("snapshot", "revoked"), ("snapshot", "bundle_key"),
                                             ("heartbeat", "hash")])
def test_byte_fields_given_as_text_are_malformed(gen, kind, field):
    # Found by the differential test against the JS engine: msgspec reads base64 text
    # as bytes unless told not to, so "revoked": "" loaded as an empty revocation list.
    import base64

    signed = getattr(gen.make_files(), kind)
    obj = cbor2.loads(cose.parse(signed).payload)
    obj[field] = base64.b64encode(obj[field]).decode()
    forged = B.sign_payload(cbor_check.dumps(obj), gen.BUNDLE_SIGNER)
    with pytest.raises(B.BundleError) as err:
        B.open_file(forged, kind, pinned_key=gen.raw_key(gen.BUNDLE_SIGNER))
    assert err.value.code == "malformed" and field in err.value.detail
