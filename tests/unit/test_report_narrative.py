"""The annual report's paragraph for a fixture year, compared as a whole string."""

from __future__ import annotations

from app.reporting.definitions import Rate, administrative_review, people_mediation
from app.reporting.narrative import paragraph, percent
from tests.unit.test_report_definitions import ATTEMPTS, END, NAMES, REVIEWS, START


def report(dispatch: Rate, court_resolved: int = 2) -> dict:
    return {
        "people_mediation": people_mediation(ATTEMPTS, NAMES),
        "court_subcenter": {"resolved": court_resolved, "judicial_confirmation": {}},
        "administrative_review": administrative_review(REVIEWS, START, END),
        "dispatch": {"within_deadline": dispatch.as_json()},
    }


def test_the_fixture_year_as_a_whole_string() -> None:
    assert paragraph(report(Rate(40, 40))) == (
        "全市共化解矛盾纠纷3件，100.0%的矛盾纠纷在镇（街道）、村（居）以及行业性专业性、企事业调解组织化解，"
        "调解成功率达50.0%。"
        "平台案件分派均在3个工作日内完成。"
        "非诉讼服务法院分中心成功化解各类矛盾纠纷2件。"
        "共收到行政复议申请8件，受理7件，审结6件，其中，撤销1件，确认违法1件，行政复议直接纠错率为33.3%，"
        "以调解、和解等实质性化解2件，实质性化解率为33.3%。"
    )


def test_a_missed_dispatch_clock_gives_the_rate_and_zero_sentences_are_left_out() -> None:
    text = paragraph(report(Rate(953, 1000), court_resolved=0), place="溧城街道")
    assert text.startswith("溧城街道共化解矛盾纠纷3件，")
    assert "平台案件在3个工作日内完成分派的占95.3%。" in text
    assert "法院分中心" not in text
    empty = {
        "people_mediation": people_mediation([], NAMES),
        "court_subcenter": {"resolved": 0},
        "administrative_review": administrative_review([], START, END),
        "dispatch": {"within_deadline": Rate(0, 0).as_json()},
    }
    assert paragraph(empty) == ""


def test_percent_rounds_half_up_from_the_counts() -> None:
    assert percent({"numerator": 1, "denominator": 8}) == "12.5%"
    assert percent({"numerator": 1, "denominator": 16}) == "6.3%"  # 6.25 half up
    assert percent({"numerator": 2, "denominator": 3}) == "66.7%"
