"""The dispute categories: the Ministry of Justice's 15 people's-mediation categories, two-level. Pure data.

A case's ``category`` is one code: a top-level category, or a sub-category when the mediator knows it
(民间借贷 under 合同; the newer forms' splits of 劳动争议 and 消费). Every report rolls a sub-category
up to its parent with ``top_category``; a routing rule naming a top-level category matches its
sub-categories too.

Codes are stable identifiers, older than this tree: ``debt`` is 民间借贷 (under 合同) and ``enterprise`` is
生产经营. Migration 0009 maps the one retired code, ``administrative``, to the administrative-review channel
(see docs/domain.md, "Categories").
"""

from __future__ import annotations

# The 15 top-level categories, in the order of the Ministry's statistical form.
TOP_CATEGORIES: dict[str, str] = {
    "marriage_family": "婚姻家庭",
    "neighbour": "邻里",
    "housing": "房屋宅基地",
    "contract": "合同",
    "enterprise": "生产经营",
    "damages": "损害赔偿",
    "land": "山林土地",
    "land_acquisition": "征地拆迁",
    "environment": "环境污染",
    "labour": "劳动争议",
    "consumer": "消费",
    "medical": "医疗",
    "traffic": "道路交通事故",
    "property_management": "物业",
    "other": "其他",
}

# Sub-category → (parent, label).
SUBCATEGORIES: dict[str, tuple[str, str]] = {
    "debt": ("contract", "民间借贷"),
    "migrant_wages": ("labour", "拖欠农民工工资"),
    "other_labour": ("labour", "其他劳动争议"),
    "tourism": ("consumer", "旅游"),
    "ecommerce": ("consumer", "电子商务"),
    "other_consumer": ("consumer", "其他消费"),
}

CATEGORY_PARENT: dict[str, str] = {code: parent for code, (parent, _) in SUBCATEGORIES.items()}

# Every code a case may carry, each parent followed by its sub-categories, with its Chinese label.
CATEGORIES: dict[str, str] = {}
for _top, _label in TOP_CATEGORIES.items():
    CATEGORIES[_top] = _label
    CATEGORIES.update({sub: label for sub, (parent, label) in SUBCATEGORIES.items() if parent == _top})

# Retired codes and what became of them (migration 0009).
RETIRED_CATEGORIES: dict[str, str] = {"administrative": "other"}


def top_category(code: str) -> str:
    """The top-level category a code rolls up to (itself for a top-level code)."""
    return CATEGORY_PARENT.get(code, code)


def subcategories(top: str) -> list[str]:
    return [sub for sub, (parent, _) in SUBCATEGORIES.items() if parent == top]


def full_label(code: str) -> str:
    """ "合同/民间借贷" for a sub-category, "合同" for a top-level one."""
    if code in CATEGORY_PARENT:
        return f"{TOP_CATEGORIES[CATEGORY_PARENT[code]]}/{SUBCATEGORIES[code][1]}"
    return CATEGORIES.get(code, code)
