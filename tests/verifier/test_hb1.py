import io
import random

import cbor2
import pytest
import segno
from huicui_verifier import base45, hb1
from huicui_verifier.image import ImageError, read_qr


def test_round_trip(gen):
    claims = gen.make_claims(directory=3, benefits=(5, 1, 3))
    text = hb1.encode(claims, gen.ISSUER, gen.KID_ACTIVE)
    decoded = hb1.decode(text)
    assert decoded.claims == claims
    assert decoded.claims.benefits == (1, 3, 5)
    assert decoded.kid == gen.KID_ACTIVE
    assert hb1.verify(decoded, gen.ISSUER.public_key())
    assert hb1.verify(decoded, gen.raw_key(gen.ISSUER))
    assert not hb1.verify(decoded, gen.STRANGER.public_key())
    assert not hb1.verify(decoded, b"\x00" * 31)


def test_encoding_is_deterministic_and_minimal(gen):
    text = gen.make_cert()
    assert text == gen.make_cert()
    raw = base45.decode(text[4:])
    tag = cbor2.loads(raw)
    protected, unprotected, payload, signature = tag.value
    assert raw[:2] == b"\xd2\x84"
    assert protected == bytes.fromhex("a201270444") + gen.KID_ACTIVE
    assert unprotected == {}
    assert len(signature) == 64
    # Default directory is omitted; the benefit field is an int with bit n for code n.
    claims = cbor2.loads(payload)
    assert 4 not in claims[-65537]
    assert claims[-65537][3] == 0b11111111110


def test_benefit_bits():
    assert hb1.benefits_to_bits([1]) == 2
    assert hb1.benefits_to_bits(range(1, 11)) == 2046
    assert hb1.bits_to_benefits(2046) == tuple(range(1, 11))
    assert hb1.bits_to_benefits(0) == ()
    with pytest.raises(ValueError):
        hb1.benefits_to_bits([0])
    with pytest.raises(ValueError):
        hb1.benefits_to_bits([64])
    with pytest.raises(ValueError):
        hb1.bits_to_benefits(1)


def test_size_three_char_name_fits_version_8_at_m(gen):
    text = gen.make_cert(name="李晓明", benefits=range(1, 11), iss="BH")
    assert len(text) <= 211
    assert len(text) == 207  # 135 bytes, as measured in FACTS.md
    qr = segno.make_qr(text, error="m", boost_error=False)
    assert qr.error == "M"
    assert qr.mode == "alphanumeric"
    assert qr.version <= 8


def test_size_four_char_name_still_version_8(gen):
    text = gen.make_cert(name="欧阳晓明")
    assert len(text) <= 211
    assert segno.make_qr(text, error="m", boost_error=False).version <= 8


def test_png_decodes_back_with_zxing(gen, tmp_path):
    text = gen.make_cert()
    qr = segno.make_qr(text, error="m", boost_error=False)
    path = tmp_path / "card.png"
    qr.save(path, scale=4, border=4)
    assert read_qr(path) == text
    assert read_qr(path.read_bytes()) == text
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=3)
    from PIL import Image

    assert read_qr(Image.open(io.BytesIO(buf.getvalue())).convert("RGBA")) == text


def test_image_without_code(tmp_path):
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("L", (200, 200), 255).save(blank)
    with pytest.raises(ImageError) as err:
        read_qr(blank)
    assert err.value.code == "no_code_found"
    with pytest.raises(ImageError) as err:
        read_qr(b"not an image")
    assert err.value.code == "unreadable_image"


@pytest.mark.parametrize(
    "change",
    [
        {"iss": "B"},
        {"iss": "BEIHAI"},
        {"cti": b"1234567"},
        {"name": ""},
        {"name": "名" * 33},
        {"id_last4": "12345"},
        {"exp": 10, "iat": 20},
        {"benefits": (0,)},
        {"directory": 0},
    ],
)
def test_encode_refuses_claims_outside_the_format(gen, change):
    with pytest.raises(ValueError):
        hb1.encode(gen.make_claims(**change), gen.ISSUER, gen.KID_ACTIVE)


def test_encode_refuses_kid_not_4_bytes(gen):
    with pytest.raises(ValueError):
        hb1.encode(gen.make_claims(), gen.ISSUER, b"\x01\x02\x03")


def test_decode_never_raises_anything_else(gen):
    """Random corruption of a good certificate only ever yields HB1Error or a valid decode."""
    rng = random.Random(20261126)
    good = gen.make_cert()
    raw = base45.decode(good[4:])
    alphabet = base45.ALPHABET + "abc#\x00é中"
    outcomes = {"error": 0, "decoded": 0}
    for _ in range(3000):
        kind = rng.randrange(4)
        if kind == 0:  # flip bytes in the binary
            data = bytearray(raw)
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            text = gen.text_of(bytes(data))
        elif kind == 1:  # truncate or extend the binary
            cut = rng.randrange(len(raw))
            text = gen.text_of(
                raw[:cut] + bytes(rng.randrange(256) for _ in range(rng.randrange(4)))
            )
        elif kind == 2:  # random characters in the text
            chars = list(good)
            for _ in range(rng.randint(1, 5)):
                chars[rng.randrange(4, len(chars))] = rng.choice(alphabet)
            text = "".join(chars)
        else:  # random bytes altogether
            text = gen.text_of(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))))
        try:
            hb1.decode(text)
            outcomes["decoded"] += 1
        except hb1.HB1Error as exc:
            assert exc.reason == "malformed"
            outcomes["error"] += 1
    assert outcomes["error"] > 2000


def test_decode_refuses_non_text():
    with pytest.raises(hb1.HB1Error):
        hb1.decode(b"HB1:BB8")  # type: ignore[arg-type]
