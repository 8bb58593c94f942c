"""The report as files: a workbook laid out like a bureau's monthly form, and the people's-mediation CSV.

One sheet per section; rows are organizations (or categories, towns, tiers), the measures are columns
with Chinese headers, a totals row closes each table, and every figure is a number cell (rates as
percentages with their numerator and denominator beside them).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import xlsxwriter


@dataclass(frozen=True)
class Labels:
    """The Chinese labels the files print (passed in by the shell, which owns ``app.web.labels``)."""

    tiers: Mapping[str, str]
    outcomes: Mapping[str, str]
    sources: Mapping[str, str]
    referrers: Mapping[str, str]


TALLY_HEADER = [
    "调解案件数",
    "调解成功数",
    "调解不成数",
    "撤回数",
    "上交数",
    "调解成功率",
    "成功率分子",
    "成功率分母",
]


def _tally_cells(row: dict[str, Any]) -> list[Any]:
    rate = row["success_rate"]
    return [
        row["mediated"],
        row["settled"],
        row["failed"],
        row["withdrawn"],
        row["escalated"],
        rate["value"],
        rate["numerator"],
        rate["denominator"],
    ]


def _totals(rows: list[list[Any]], first: int) -> list[Any]:
    """Sums of the count columns from ``first``; the rate recomputed from its summed parts."""
    sums: list[Any] = [sum(r[i] or 0 for r in rows) for i in range(first, first + 5)]
    numerator = sum(r[first + 6] for r in rows)
    denominator = sum(r[first + 7] for r in rows)
    return [*sums, round(numerator / denominator, 4) if denominator else None, numerator, denominator]


def _table_rows(pm: dict[str, Any], section: str, labels: Labels) -> tuple[list[str], list[list[Any]]]:
    if section == "by_organization":
        head = ["组织代码", "组织名称", "层级"]
        rows = [
            [r["code"], r["name"], labels.tiers.get(r["tier"], r["tier"]), *_tally_cells(r)]
            for r in pm[section]
        ]
    elif section == "by_category":
        head = ["类别代码", "纠纷类别", "上级类别"]
        rows = []
        for r in pm[section]:
            rows.append([r["code"], r["name"], "", *_tally_cells(r)])
            rows += [[s["code"], s["name"], r["name"], *_tally_cells(s)] for s in r["subcategories"]]
    else:
        head = ["代码", "名称", ""]
        rows = [
            [r["code"], labels.tiers.get(r["name"], r["name"]), "", *_tally_cells(r)] for r in pm[section]
        ]
    return head + TALLY_HEADER, rows


SHEETS = {
    "by_organization": "人民调解（按组织）",
    "by_category": "人民调解（按类别）",
    "by_town": "人民调解（按镇街）",
    "by_tier": "人民调解（按层级）",
}


def workbook(report: dict[str, Any], title: str, labels: Labels) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "vcenter", "border": 1})
    pct = book.add_format({"num_format": "0.00%"})
    money = book.add_format({"num_format": "#,##0.00"})
    pm = report["people_mediation"]
    period = f"{report['period']['from']} 至 {report['period']['to']}"
    for section, name in SHEETS.items():
        sheet = book.add_worksheet(name)
        head, rows = _table_rows(pm, section, labels)
        sheet.write(0, 0, f"{title} {name} {period}", bold)
        sheet.write_row(1, 0, head, bold)
        # Sub-category rows are part of their parent's figures: the totals add top-level rows only.
        summed = [r for r in rows if not (section == "by_category" and r[2])]
        if section == "by_organization":
            total_row = ["合计", "（各组织调解次数之和）", "", *_totals(summed, 3)]
        else:
            total_row = ["合计", "", "", *_totals(summed, 3)]
        for i, row in enumerate([*rows, total_row]):
            sheet.write_row(2 + i, 0, row)
            sheet.write(2 + i, 8, row[8], pct)
        sheet.set_row(2 + len(rows), None, bold)
        sheet.set_column(0, 1, 18)
        sheet.set_column(2, 10, 11)
        sheet.freeze_panes(2, 2)
    formats = {"bold": bold, "pct": pct, "money": money}
    _summary_sheet(book, report, formats, labels, f"{title} 汇总 {period}")
    _review_sheet(book, report["administrative_review"], formats, labels, f"{title} 行政复议 {period}")
    _court_and_dispatch_sheets(book, report, formats, f"{title} {{}} {period}")
    book.close()
    return out.getvalue()


def _summary_sheet(
    book: Any, report: dict[str, Any], formats: dict[str, Any], labels: Labels, heading: str
) -> None:
    pm, court, dispatch = report["people_mediation"], report["court_subcenter"], report["dispatch"]
    bold, pct, money = formats["bold"], formats["pct"], formats["money"]
    sheet = book.add_worksheet("汇总")
    sheet.write(0, 0, heading, bold)
    sheet.write_row(1, 0, ["指标", "数值", "分子", "分母"], bold)
    rows: list[tuple[str, Any, Any]] = [
        ("调解案件数", pm["mediated"], None),
        ("调解成功数", pm["settled"], None),
        ("调解不成数", pm["failed"], None),
        ("撤回数", pm["withdrawn"], None),
        ("上交数", pm["escalated"], None),
        ("化解纠纷数", pm["resolved_cases"], None),
        ("调解成功率", pm["success_rate"], pct),
        ("基层化解占比", pm["grassroots_share"], pct),
        ("书面协议数", pm["agreements"]["written"], None),
        ("口头协议数", pm["agreements"]["oral"], None),
        ("协议涉及当事人数", pm["agreements"]["parties"], None),
        ("协议金额（万元）", Decimal(pm["agreed_amount_wan_yuan"]), money),
        ("群体性纠纷数", pm["mass_disputes"], None),
        ("高风险纠纷数", pm["high_risk"], None),
        *((f"来源：{labels.sources[k]}", v, None) for k, v in pm["by_source"].items()),
        *((f"委托移送：{labels.referrers[k]}", v, None) for k, v in pm["by_referrer"].items()),
        ("法院分中心化解数", court["resolved"], None),
        ("司法确认申请数", court["judicial_confirmation"]["requested"], None),
        ("司法确认确认有效数", court["judicial_confirmation"]["confirmed"], None),
        ("司法确认不予确认数", court["judicial_confirmation"]["refused"], None),
        ("3个工作日内分派率", dispatch["within_deadline"], pct),
    ]
    for i, (label, value, fmt) in enumerate(rows):
        sheet.write(2 + i, 0, label)
        if isinstance(value, dict):
            sheet.write(2 + i, 1, value["value"], fmt)
            sheet.write_row(2 + i, 2, [value["numerator"], value["denominator"]])
        else:
            sheet.write_number(2 + i, 1, float(value), fmt)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 3, 12)


def _review_sheet(
    book: Any, review: dict[str, Any], formats: dict[str, Any], labels: Labels, heading: str
) -> None:
    bold, pct = formats["bold"], formats["pct"]
    sheet = book.add_worksheet("行政复议")
    sheet.write(0, 0, heading, bold)
    decisions = list(review["decisions"])
    head = ["收到申请", "受理", "审结", *(labels.outcomes.get(d, d) for d in decisions)]
    head += ["直接纠错率", "实质性化解数", "实质性化解率"]
    sheet.write_row(1, 0, head, bold)
    row = [review["received"], review["accepted"], review["concluded"], *review["decisions"].values()]
    row += [
        review["direct_correction_rate"]["value"],
        review["substantive_resolution"]["count"],
        review["substantive_resolution"]["rate"]["value"],
    ]
    sheet.write_row(2, 0, row)
    sheet.write(2, len(head) - 3, row[-3], pct)
    sheet.write(2, len(head) - 1, row[-1], pct)
    sheet.set_column(0, len(head), 11)


def _court_and_dispatch_sheets(
    book: Any, report: dict[str, Any], formats: dict[str, Any], heading: str
) -> None:
    court, rate = report["court_subcenter"], report["dispatch"]["within_deadline"]
    sheet = book.add_worksheet("法院分中心")
    sheet.write(0, 0, heading.format("法院分中心"), formats["bold"])
    sheet.write_row(1, 0, ["化解数", "司法确认申请", "确认有效", "不予确认"], formats["bold"])
    confirmation = court["judicial_confirmation"]
    sheet.write_row(
        2,
        0,
        [court["resolved"], confirmation["requested"], confirmation["confirmed"], confirmation["refused"]],
    )
    sheet.set_column(0, 3, 12)
    sheet = book.add_worksheet("平台分派")
    sheet.write(0, 0, heading.format("平台分派"), formats["bold"])
    sheet.write_row(1, 0, ["3个工作日内分派率", "按期分派", "到期分派时钟"], formats["bold"])
    sheet.write(2, 0, rate["value"], formats["pct"])
    sheet.write_row(2, 1, [rate["numerator"], rate["denominator"]])
    sheet.set_column(0, 2, 16)


def people_mediation_csv(report: dict[str, Any], labels: Labels) -> bytes:
    """The people's-mediation table by organization, with a totals row (UTF-8 with BOM, for Excel)."""
    head, rows = _table_rows(report["people_mediation"], "by_organization", labels)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(head)
    writer.writerows(["" if v is None else v for v in r] for r in rows)
    writer.writerow(["" if v is None else v for v in ["合计", "", "", *_totals(rows, 3)]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
