"""The data vault: encryption bound to its column, keyed hashes, masking, tokens."""

from __future__ import annotations

import base64
import os

import pytest
from huicui.settings import SecretsSettings, SettingsError
from huicui.vault import (
    DataVault,
    DecryptionError,
    create_dev_secrets,
    hash_token,
    last4,
    load_data_key,
    mask,
    new_token,
    normalize_identifier,
)


@pytest.fixture
def vault():
    return DataVault(os.urandom(32))


def test_round_trip_and_fresh_nonce(vault):
    a = vault.encrypt("11010519491231002X", "identity.id_doc")
    b = vault.encrypt("11010519491231002X", "identity.id_doc")
    assert a != b and "1101" not in a
    assert vault.decrypt(a, "identity.id_doc") == "11010519491231002X"


def test_ciphertext_is_bound_to_its_column(vault):
    sealed = vault.encrypt("13800138000", "identity.phone")
    with pytest.raises(DecryptionError):
        vault.decrypt(sealed, "identity.id_doc")


def test_wrong_key_and_tampering_are_refused(vault):
    sealed = vault.encrypt("secret", "c")
    with pytest.raises(DecryptionError):
        DataVault(os.urandom(32)).decrypt(sealed, "c")
    raw = bytearray(base64.b64decode(sealed[3:]))
    raw[-1] ^= 1
    with pytest.raises(DecryptionError):
        vault.decrypt("v1:" + base64.b64encode(bytes(raw)).decode(), "c")
    with pytest.raises(DecryptionError):
        vault.decrypt("v9:abc", "c")


def test_empty_values_stay_empty(vault):
    assert vault.encrypt("", "c") == "" and vault.encrypt(None, "c") is None
    assert vault.lookup_hash("", "id_doc") is None


def test_lookup_hash_normalizes_and_is_keyed(vault):
    h = vault.lookup_hash("11010519491231002X", "id_doc")
    assert h == vault.lookup_hash("110105 1949-1231 002x", "id_doc")
    assert h == vault.lookup_hash("１１０１０５１９４９１２３１００２Ｘ", "id_doc")
    assert h != vault.lookup_hash("11010519491231002X", "phone")
    assert h != DataVault(os.urandom(32)).lookup_hash("11010519491231002X", "id_doc")


def test_mask_and_last4():
    # One masked form whatever the input: the full value and its stored tail agree, and
    # the number of stars does not give the length away.
    assert mask("11010519491231002X") == "****002X"
    assert mask("002X") == "****002X" and mask("002x") == "****002X"
    assert mask("+8613900139000") == mask("9000") == "****9000"
    assert mask("123") == "****123"
    assert mask("") == "" and mask(None) == ""
    assert last4("1101-0519 4912 3100 2x") == "002X"
    assert normalize_identifier(" a-b c ") == "ABC"


def test_tokens():
    token = new_token("hcs")
    assert token.startswith("hcs_") and len(token) > 40
    assert hash_token(token) != token and len(hash_token(token)) == 64
    assert new_token("hcs") != token


def test_key_size_is_checked():
    with pytest.raises(SettingsError):
        DataVault(b"short")


def test_data_key_loading(tmp_path):
    good = base64.b64encode(os.urandom(32)).decode()
    assert len(load_data_key(SecretsSettings(data_key=good))) == 32
    with pytest.raises(SettingsError, match="base64"):
        load_data_key(SecretsSettings(data_key="not base64!!"))
    with pytest.raises(SettingsError, match="32 bytes"):
        load_data_key(SecretsSettings(data_key=base64.b64encode(b"x" * 16).decode()))
    with pytest.raises(SettingsError, match="huicui setup"):
        load_data_key(SecretsSettings(data_key_file=str(tmp_path / "missing.key")))


def test_dev_secrets_are_private_and_not_overwritten(tmp_path):
    settings = SecretsSettings(data_key_file=str(tmp_path / "s" / "data.key"),
                               signing_passphrase_file=str(tmp_path / "s" / "signing.pass"))
    made = create_dev_secrets(settings)
    assert len(made) == 2
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in made)
    before = (tmp_path / "s" / "data.key").read_text()
    assert create_dev_secrets(settings) == []
    assert (tmp_path / "s" / "data.key").read_text() == before
    assert len(load_data_key(settings)) == 32
