"""Lineup rules and provider group filters: which channels and entries they take."""

from __future__ import annotations

import re

import pytest

from strmline.errors import ConfigError
from strmline.matching.selection import GroupFilter, matches_any, parse_rules


def test_a_rule_needs_every_field_it_names() -> None:
    (rule,) = parse_rules([{"category": "Sports", "country": "us"}])
    assert rule.matches("ESPN", "sports", "US", None)
    assert not rule.matches("ESPN", "sports", "UK", None)
    assert not rule.matches("ESPN", "News", "US", None)
    assert not rule.matches("ESPN", None, "US", None)


def test_rules_are_alternatives() -> None:
    rules = parse_rules([{"category": "Kids"}, {"name": r"^disney\b"}])
    assert matches_any(rules, "Nick Jr", "Kids", None, None)
    assert matches_any(rules, "Disney Junior", "Entertainment", None, None)
    assert not matches_any(rules, "Disneyland TV", "Entertainment", None, None)
    assert not matches_any([], "anything", "Kids", None, None)


def test_quality_is_a_minimum() -> None:
    (rule,) = parse_rules([{"quality": "fhd"}])
    assert rule.matches("x", None, None, "FHD")
    assert rule.matches("x", None, None, "UHD")
    assert not rule.matches("x", None, None, "HD")
    assert not rule.matches("x", None, None, None)  # unknown quality is not "at least FHD"


def test_name_pattern_ignores_case() -> None:
    (rule,) = parse_rules([{"name": "bbc (one|two)"}])
    assert rule.matches("UK: BBC One HD", None, None, None)
    assert not rule.matches("BBC Three", None, None, None)
    assert rule.as_dict() == {
        "category": None,
        "country": None,
        "quality": None,
        "name": "bbc (one|two)",
    }


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "needs a category, country, quality or name"),
        ({"name": "  "}, "needs a category"),
        ({"quality": "HDR"}, "not one of SD, HD"),
        ({"name": "(unclosed"}, "rules[0].name: not a valid regular expression"),
        ({"colour": "red"}, "unknown field(s) colour"),
        ({"category": 5}, "expected text"),
    ],
)
def test_bad_rules_are_refused_with_the_field(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_rules([raw])


def test_group_filter_choices_and_new_categories() -> None:
    flt = GroupFilter.build({"News": True, "Adult": False}, take_new=False)
    assert flt.takes_group("News")
    assert not flt.takes_group("Adult")
    assert not flt.takes_group("Brand new")  # not seen before, and new ones are not taken
    assert GroupFilter.build({"Adult": False}, take_new=True).takes_group("Brand new")
    assert not flt.is_open()
    assert GroupFilter.build({"News": True}).is_open()


def test_group_filter_patterns_narrow_the_choice() -> None:
    flt = GroupFilter.build(
        {"US Sports": True, "UK Sports": True, "US News": True, "US Sports 4K": True},
        group_include="sports",
        group_exclude="4k$",
    )
    assert [
        g for g in ("US Sports", "UK Sports", "US News", "US Sports 4K") if flt.takes_group(g)
    ] == [
        "US Sports",
        "UK Sports",
    ]


def test_name_patterns() -> None:
    flt = GroupFilter.build({}, name_include=r"\bHD\b", name_exclude="backup")
    assert flt.filters_names
    assert flt.takes_name("ESPN HD")
    assert not flt.takes_name("ESPN SD")
    assert not flt.takes_name("ESPN HD backup")
    assert not GroupFilter.build({}).filters_names


def test_bad_filter_pattern_names_the_field() -> None:
    with pytest.raises(ConfigError, match="group_exclude: not a valid regular expression"):
        GroupFilter.build({}, group_exclude="[")
