"""Free text is masked like the structured fields: no ID number or phone survives; ordinary numbers do."""

from __future__ import annotations

import re
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from app.pii.free_text import mask_free_text, mask_strings
from app.pii.identity import mask_id_number, mask_phone_digits, resident_id_check_char

# Text around the numbers: Chinese, letters (X too), punctuation, spaces and hyphens, but no digits, since a
# digit touching a number makes it another, longer number.
FILLER_CHARS = "申请人被张三李四电话号码身份证住址因宅基地边界发生争执，。：；（）() -+/#xXabcTel"
filler = st.text(alphabet=FILLER_CHARS, min_size=1, max_size=12)
# After an ID number, an X is read as its check character (the number is masked either way).
id_filler = st.text(alphabet=FILLER_CHARS.replace("x", "").replace("X", ""), min_size=1, max_size=12)


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    region = draw(st.integers(110000, 659999))
    birth = draw(st.dates(date(1900, 1, 1), date(2026, 12, 31)))
    first17 = f"{region}{birth:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    check = resident_id_check_char(first17)
    return first17 + (check.lower() if check == "X" and draw(st.booleans()) else check)


@st.composite
def old_ids(draw: st.DrawFn) -> str:  # first-generation 15-digit numbers: YYMMDD birth dates
    region = draw(st.integers(110000, 659999))
    birth = draw(st.dates(date(1900, 1, 1), date(1999, 12, 31)))
    return f"{region}{birth:%y%m%d}{draw(st.integers(0, 999)):03d}"


@st.composite
def mobiles(draw: st.DrawFn) -> tuple[str, str]:
    """(as written, its 11 digits)."""
    number = f"1{draw(st.integers(3, 9))}{draw(st.integers(0, 999_999_999)):09d}"
    sep = draw(st.sampled_from(["", " ", "-"]))
    written = f"{number[:3]}{sep}{number[3:7]}{sep}{number[7:]}"
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "+86-", "0086", "86", "86 "]))
    return prefix + written, number


@st.composite
def landlines(draw: st.DrawFn) -> tuple[str, str]:
    area = draw(st.sampled_from(["0519", "010", "021", "025", "0512"]))
    rest = draw(st.sampled_from([6, 7]))
    local = f"{draw(st.integers(2, 9))}{draw(st.integers(0, 10**rest - 1)):0{rest}d}"
    shapes = [
        f"{area}-{local}",
        f"{area}{local}",
        f"{area} {local}",
        f"({area}){local}",
        f"（{area}）{local}",
        f"{area}-{local[:-4]}-{local[-4:]}",
        f"{area} {local[:-4]} {local[-4:]}",
        f"({area}){local[:-4]} {local[-4:]}",
    ]
    return draw(st.sampled_from(shapes)), area + local


def _no_separators(text: str) -> str:
    return re.sub(r"[ \-()（）+]", "", text)


@given(
    st.lists(st.tuples(id_filler, st.one_of(resident_ids(), old_ids())), min_size=1, max_size=4), id_filler
)
def test_no_id_number_survives(parts, tail):
    text = "".join(f + n for f, n in parts) + tail
    masked = mask_free_text(text)
    for _, number in parts:
        assert number not in masked and number.upper() not in masked
        assert mask_id_number(number) in masked  # the structured field's own mask, 15 digits or 18


@given(st.lists(st.tuples(filler, st.one_of(mobiles(), landlines())), min_size=1, max_size=4), filler)
def test_no_phone_survives_however_it_is_written(parts, tail):
    text = "".join(f + written for f, (written, _) in parts) + tail
    masked = mask_free_text(text)
    for _, (written, number) in parts:
        assert written not in masked
        assert number not in _no_separators(masked)
        assert mask_phone_digits(number) in masked  # the structured field's own mask


@st.composite
def ordinary_numbers(draw: st.DrawFn) -> str:
    year = draw(st.integers(2000, 2099))
    return draw(
        st.sampled_from(
            [
                f"{draw(st.integers(0, 9_999_999_999)) / 100:.2f}",  # amounts up to 99,999,999.99 yuan
                f"{draw(st.integers(0, 999_999))}元",
                f"{draw(st.dates(date(2000, 1, 1), date(2099, 12, 31))):%Y-%m-%d}",
                f"{draw(st.dates(date(2000, 1, 1), date(2099, 12, 31))):%Y年%m月%d日}",
                f"LY-{year}-{draw(st.integers(1, 999_999)):06d}",
                f"{draw(st.integers(1, 23))}:{draw(st.integers(0, 59)):02d}",
                f"{draw(st.integers(1, 500))}号",
            ]
        )
    )


@given(st.lists(st.tuples(filler, ordinary_numbers()), min_size=1, max_size=6), filler)
def test_ordinary_numbers_are_left_alone(parts, tail):
    text = "".join(f + n for f, n in parts) + tail
    assert mask_free_text(text) == text


@given(st.text(max_size=200))
def test_masking_is_idempotent_and_never_longer(text):
    once = mask_free_text(text)
    assert mask_free_text(once) == once
    assert len(once) <= len(text)


def test_examples():
    text = (
        "申请人张三（身份证320481198005170012，旧证320481800517001）电话+86 138-0013-8000，"
        "单位电话0519-87654321；标的80000.00元，2026-11-01发生，案号LY-2026-000123。"
    )
    assert mask_free_text(text) == (
        "申请人张三（身份证320481********0012，旧证320481*****7001）电话138****8000，"
        "单位电话0519****4321；标的80000.00元，2026-11-01发生，案号LY-2026-000123。"
    )
    assert mask_strings({"note": "call 13900139000", "n": [1, "13900139000"], "ok": True}) == {
        "note": "call 139****9000",
        "n": [1, "139****9000"],
        "ok": True,
    }
