"""Tests for app.pii: GB 11643-1999 / ISO 7064 MOD 11-2 IDs, mobiles, masks, field crypto."""

from __future__ import annotations

import base64
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.pii.crypto import BlindIndex, DecryptionError, FieldCipher, generate_key, load_key
from app.pii.free_text import mask_free_text
from app.pii.identity import (
    InvalidValue,
    mask_id_number,
    mask_phone,
    normalize_mobile,
    normalize_phone,
    resident_id_check_char,
    validate_resident_id,
)

TODAY = date(2025, 6, 15)
DIGITS = "0123456789"


def make_id(region: str, birth: date, seq: str) -> str:
    first17 = f"{region}{birth:%Y%m%d}{seq}"
    return first17 + resident_id_check_char(first17)


valid_ids = st.builds(
    make_id,
    region=st.text(alphabet=DIGITS, min_size=6, max_size=6),
    birth=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    seq=st.text(alphabet=DIGITS, min_size=3, max_size=3),
)


# --- resident ID: properties -------------------------------------------------------------------


@given(valid_ids)
def test_generated_ids_validate(id_number: str) -> None:
    assert validate_resident_id(id_number, today=TODAY) == id_number
    assert validate_resident_id(f"  {id_number.lower()}\n", today=TODAY) == id_number


@settings(max_examples=200)
@given(valid_ids)
def test_every_single_substitution_is_rejected(id_number: str) -> None:
    for pos in range(18):
        alphabet = DIGITS + ("Xx" if pos == 17 else "X")
        for ch in alphabet:
            if ch.upper() == id_number[pos]:
                continue
            mutated = id_number[:pos] + ch + id_number[pos + 1 :]
            with pytest.raises(InvalidValue):
                validate_resident_id(mutated, today=TODAY)


@settings(max_examples=200)
@given(valid_ids)
def test_every_adjacent_transposition_is_rejected(id_number: str) -> None:
    for pos in range(17):
        a, b = id_number[pos], id_number[pos + 1]
        if a == b:
            continue
        swapped = id_number[:pos] + b + a + id_number[pos + 2 :]
        with pytest.raises(InvalidValue):
            validate_resident_id(swapped, today=TODAY)


@given(st.text(alphabet=DIGITS, min_size=17, max_size=17))
def test_check_char_is_the_unique_valid_one(first17: str) -> None:
    # Sum over all 18 positions (check char weight 1, X = 10) is 1 mod 11 - ISO 7064 MOD 11-2.
    weights = [pow(2, 17 - i, 11) for i in range(18)]
    values = [int(c) for c in first17] + [10 if (c := resident_id_check_char(first17)) == "X" else int(c)]
    assert sum(v * w for v, w in zip(values, weights, strict=True)) % 11 == 1


# --- resident ID: table ------------------------------------------------------------------------


def test_classic_example() -> None:
    assert resident_id_check_char("11010519491231002") == "X"
    assert validate_resident_id("11010519491231002X", today=TODAY) == "11010519491231002X"
    assert validate_resident_id("11010519491231002x", today=TODAY) == "11010519491231002X"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "id_number.length"),
        ("11010519491231002", "id_number.length"),
        ("11010519491231002X1", "id_number.length"),
        ("110105 19491231002X", "id_number.length"),  # inner whitespace is not stripped
        ("110105194912310X2X", "id_number.format"),
        ("11010519491231002Y", "id_number.format"),
        ("1101051949123100２X", "id_number.format"),  # full-width digit
        ("110105194912310021", "id_number.checksum"),
        ("110105194912310020", "id_number.checksum"),
        (make_id("110105", date(2000, 1, 1), "001")[:17] + "Z", "id_number.format"),
    ],
)
def test_error_codes(value: str, code: str) -> None:
    with pytest.raises(InvalidValue) as exc:
        validate_resident_id(value, today=TODAY)
    assert exc.value.code == code
    assert exc.value.message


@pytest.mark.parametrize(
    "first17",
    [
        "11010519490230002",  # Feb 30
        "11010520230229002",  # Feb 29 in a non-leap year
        "11010518991231002",  # before 1900
        "11010519491301002",  # month 13
        "11010519490000002",  # month/day 0
    ],
)
def test_invalid_birth_date(first17: str) -> None:
    with pytest.raises(InvalidValue) as exc:
        validate_resident_id(first17 + resident_id_check_char(first17), today=TODAY)
    assert exc.value.code == "id_number.birth_date"


def test_leap_day_ok_and_future_birth_date() -> None:
    leap = make_id("110105", date(2000, 2, 29), "123")
    assert validate_resident_id(leap, today=TODAY) == leap
    today_id = make_id("110105", TODAY, "123")
    assert validate_resident_id(today_id, today=TODAY) == today_id
    tomorrow = make_id("110105", date(2025, 6, 16), "123")
    with pytest.raises(InvalidValue) as exc:
        validate_resident_id(tomorrow, today=TODAY)
    assert exc.value.code == "id_number.future_birth_date"


def test_check_char_input_validation() -> None:
    with pytest.raises(ValueError):
        resident_id_check_char("1234")
    with pytest.raises(ValueError):
        resident_id_check_char("1101051949123100X")


# --- mobile ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["13800138000", "+86 138-0013-8000", "0086 13800138000", "8613800138000", " 138 0013 8000 "],
)
def test_normalize_mobile_ok(value: str) -> None:
    assert normalize_mobile(value) == "13800138000"


@pytest.mark.parametrize(
    "value",
    [
        "12800138000",  # second digit 2
        "1380013800",  # 10 digits
        "138001380000",  # 12 digits
        "+86 1380013800",  # prefix + 10 digits
        "+8612800138000",
        "+1 13800138000",
        "23800138000",
        "1380013800O",
        "１３８００１３８０００",  # full-width digits
        "",
    ],
)
def test_normalize_mobile_rejects(value: str) -> None:
    with pytest.raises(InvalidValue) as exc:
        normalize_mobile(value)
    assert exc.value.code == "phone.format"


# --- landline ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "normalized"),
    [
        ("0519-87654321", "0519-87654321"),
        ("051987654321", "0519-87654321"),
        ("(0519)87654321", "0519-87654321"),
        ("（0519）8765 4321", "0519-87654321"),
        ("0519 8765 4321", "0519-87654321"),
        ("0519-8765-4321", "0519-87654321"),
        ("0519-8765432", "0519-8765432"),  # a 7-digit local number
        ("0519-87654321-123", "0519-87654321-123"),
        ("0519-87654321转123", "0519-87654321-123"),
        ("010-87654321", "010-87654321"),
        ("02187654321", "021-87654321"),  # 02x has three digits: the number splits one way only
        ("13800138000", "13800138000"),  # a mobile stays a mobile
    ],
)
def test_normalize_phone_accepts_landlines(value: str, normalized: str) -> None:
    assert normalize_phone(value) == normalized


@pytest.mark.parametrize(
    "value",
    [
        "0519-1234567",  # a local number never starts with 1
        "0519-0234567",  # nor with 0
        "0519-876543",  # 6 digits
        "0519-876543210",  # 9 digits
        "019-87654321",  # no such area code
        "87654321",  # no area code
        "0519-87654321-1234567",  # extension of 7 digits
        "0519-87654321-",
        "０５１９-87654321",  # full-width digits
    ],
)
def test_normalize_phone_rejects(value: str) -> None:
    with pytest.raises(InvalidValue) as exc:
        normalize_phone(value)
    assert exc.value.code == "phone.format"


def test_landline_masks_keep_the_area_code_and_last_4_in_fields_and_free_text() -> None:
    for written, mask in [
        ("0519-87654321", "0519****4321"),
        ("0519-8765432", "0519***5432"),
        ("010-87654321", "010****4321"),
    ]:
        assert mask_phone(normalize_phone(written)) == mask
        assert mask_free_text(f"电话{written}。") == f"电话{mask}。"  # one mask, in a field or in a note
    # An extension is not shown in the field's mask (it says nothing about the person).
    assert mask_phone(normalize_phone("0519-87654321转123")) == "0519****4321"


# --- masks -------------------------------------------------------------------------------------


def test_masks() -> None:
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_id_number("110105194912310") == "110105*****2310"  # first generation: like an 18-digit one
    assert mask_id_number("1234") == "****"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("88001234") == "****1234"
    assert mask_phone("123") == "***"


# --- crypto ------------------------------------------------------------------------------------

CTX = b"party.id_number"


def test_round_trip_and_token_shape() -> None:
    cipher = FieldCipher(primary=("k1", load_key(generate_key())))
    token = cipher.encrypt("11010519491231002X", context=CTX)
    assert token.startswith("v1.k1.")
    assert token.isascii() and "=" not in token
    assert cipher.decrypt(token, context=CTX) == "11010519491231002X"
    assert cipher.encrypt("", context=CTX) != cipher.encrypt("", context=CTX)  # random nonce
    assert cipher.decrypt(cipher.encrypt("张三 13800138000", context=CTX), context=CTX) == "张三 13800138000"


def test_wrong_context_fails() -> None:
    cipher = FieldCipher(primary=("k1", load_key(generate_key())))
    token = cipher.encrypt("13800138000", context=b"party.phone")
    with pytest.raises(DecryptionError):
        cipher.decrypt(token, context=b"party.id_number")


def test_tampered_token_fails() -> None:
    cipher = FieldCipher(primary=("k1", load_key(generate_key())))
    token = cipher.encrypt("13800138000", context=CTX)
    prefix = len("v1.k1.")
    for i in range(prefix, len(token)):
        for ch in "AQg_-":
            if ch == token[i]:
                continue
            with pytest.raises(DecryptionError):
                cipher.decrypt(token[:i] + ch + token[i + 1 :], context=CTX)
    for bad in ["", "v1.k1", "v2" + token[2:], token + ".x", token + "=", token[:-4], "v1.k1.AAAA"]:
        with pytest.raises(DecryptionError):
            cipher.decrypt(bad, context=CTX)


def test_key_rotation() -> None:
    k1, k2 = load_key(generate_key()), load_key(generate_key())
    old = FieldCipher(primary=("k1", k1))
    token = old.encrypt("13800138000", context=CTX)
    new = FieldCipher(primary=("k2", k2), others={"k1": k1})
    assert new.primary_kid == "k2"
    assert new.decrypt(token, context=CTX) == "13800138000"
    assert new.encrypt("x", context=CTX).startswith("v1.k2.")
    with pytest.raises(DecryptionError):
        FieldCipher(primary=("k2", k2)).decrypt(token, context=CTX)  # k1 dropped
    with pytest.raises(DecryptionError):  # same kid, wrong key material
        FieldCipher(primary=("k1", k2)).decrypt(token, context=CTX)


def test_cipher_constructor_validation() -> None:
    key = load_key(generate_key())
    with pytest.raises(ValueError):
        FieldCipher(primary=("k1", key[:16]))
    with pytest.raises(ValueError):
        FieldCipher(primary=("k.1", key))
    with pytest.raises(ValueError):
        FieldCipher(primary=("", key))
    with pytest.raises(ValueError):
        FieldCipher(primary=("k1", key), others={"k1": key})
    assert key.hex() not in repr(FieldCipher(primary=("k1", key)))


def test_blind_index() -> None:
    key = load_key(generate_key())
    idx = BlindIndex(key)
    digest = idx.compute("13800138000", context=b"party.phone")
    assert len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)
    assert BlindIndex(key).compute("13800138000", context=b"party.phone") == digest
    assert idx.compute("13800138000", context=b"party.id_number") != digest
    assert idx.compute("13800138001", context=b"party.phone") != digest
    assert BlindIndex(load_key(generate_key())).compute("13800138000", context=b"party.phone") != digest
    # length-prefixed context: no ambiguity between (context, value) splits
    assert idx.compute("bc", context=b"a") != idx.compute("c", context=b"ab")
    with pytest.raises(ValueError):
        BlindIndex(key[:31])


def test_load_key() -> None:
    raw = bytes(range(32))
    padded = base64.urlsafe_b64encode(raw).decode()
    assert load_key(padded) == raw
    assert load_key(padded.rstrip("=")) == raw
    assert load_key(f"  {padded}\n") == raw
    assert len(load_key(generate_key())) == 32
    assert generate_key() != generate_key()
    bad = [
        "",
        base64.urlsafe_b64encode(bytes(16)).decode(),  # 16 bytes
        base64.urlsafe_b64encode(bytes(33)).decode(),  # 33 bytes
        base64.b64encode(b"\xfb" * 32).decode(),  # standard (not urlsafe) alphabet: '+' '/'
        "not a key!",
        padded[:-2] + "B=",  # non-canonical trailing bits
    ]
    for value in bad:
        with pytest.raises(ValueError) as exc:
            load_key(value)
        assert value.strip() == "" or value not in str(exc.value)
