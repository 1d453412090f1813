import os

import pytest
from huicui_verifier import base45


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"AB", "BB8"),
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),
        (b"", ""),
    ],
)
def test_rfc9285_examples(raw, text):
    assert base45.encode(raw) == text
    assert base45.decode(text) == raw


def test_round_trip_random_bytes():
    for n in range(0, 300, 7):
        data = os.urandom(n)
        assert base45.decode(base45.encode(data)) == data


def test_extremes_of_each_group():
    assert base45.encode(b"\xff\xff") == "FGW"
    assert base45.decode("FGW") == b"\xff\xff"
    assert base45.decode("U5") == b"\xff"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("GGW", "value_too_large"),  # 65536
        ("GG", "value_too_large"),  # 736 in a final pair
        ("V5", "value_too_large"),  # 256
        ("BB8A", "dangling_character"),
        ("bb8", "bad_character"),
        ("BB#", "bad_character"),
        ("BB\n", "bad_character"),
    ],
)
def test_strict_errors_are_named(text, code):
    with pytest.raises(base45.Base45Error) as err:
        base45.decode(text)
    assert err.value.code == code
