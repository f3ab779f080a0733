"""Choosing channels and provider entries: lineup rules and provider group filters. Pure.

A lineup rule names any of a category, a country, a minimum quality and a name pattern; a
channel matches the rule when it matches every field the rule names, and belongs to the
lineup when it matches any of its rules.

A group filter decides which entries of a provider's list the sync takes: the category must be
taken (its own choice, else "take new categories" for one never seen), must match the include
pattern and not the exclude pattern when those are set, and the entry's name likewise.
Patterns are regular expressions searched case-insensitively; they are compiled once, and a bad
one is a :class:`~strmline.errors.ConfigError` naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from strmline.errors import ConfigError

__all__ = [
    "QUALITY_ORDER",
    "ChannelRule",
    "GroupFilter",
    "compile_regex",
    "matches_any",
    "parse_rules",
]

# Stream quality classes from the lowest; a rule's quality is a minimum.
QUALITY_ORDER = ("SD", "HD", "FHD", "QHD", "UHD", "8K")
_QUALITY_RANK = {q: i for i, q in enumerate(QUALITY_ORDER)}
RULE_FIELDS = ("category", "country", "quality", "name")


def compile_regex(pattern: str | None, field: str) -> re.Pattern[str] | None:
    if pattern is None or pattern == "":
        return None
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ConfigError(
            f"{field}: not a valid regular expression ({exc}): {pattern!r}",
            details={"field": field},
        ) from None


@dataclass(frozen=True, slots=True)
class ChannelRule:
    category: str | None = None  # equal, ignoring case
    country: str | None = None  # ISO code, ignoring case
    quality: str | None = None  # the channel's best stream at least this class
    name: re.Pattern[str] | None = None  # searched in the channel name

    def matches(
        self, name: str, category: str | None, country: str | None, quality: str | None
    ) -> bool:
        if self.category is not None and (category or "").casefold() != self.category:
            return False
        if self.country is not None and (country or "").casefold() != self.country:
            return False
        if self.quality is not None:
            rank = _QUALITY_RANK.get((quality or "").upper())
            if rank is None or rank < _QUALITY_RANK[self.quality]:
                return False
        return self.name is None or self.name.search(name) is not None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "category": self.category,
            "country": self.country,
            "quality": self.quality,
            "name": self.name.pattern if self.name is not None else None,
        }


def _text(raw: Mapping[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where}.{key}: expected text, got {value!r}", details={"field": where})
    return value.strip() or None


def parse_rules(raw: Iterable[Mapping[str, Any]]) -> list[ChannelRule]:
    """Rules as stored (JSON objects) into :class:`ChannelRule`; a rule naming nothing would
    take every channel and is refused, as are unknown fields and qualities."""
    rules: list[ChannelRule] = []
    for i, item in enumerate(raw):
        where = f"rules[{i}]"
        unknown = sorted(set(item) - set(RULE_FIELDS))
        if unknown:
            raise ConfigError(
                f"{where}: unknown field(s) {', '.join(unknown)} (known: {', '.join(RULE_FIELDS)})",
                details={"field": where},
            )
        category, country = _text(item, "category", where), _text(item, "country", where)
        quality, name = _text(item, "quality", where), _text(item, "name", where)
        if quality is not None and quality.upper() not in _QUALITY_RANK:
            raise ConfigError(
                f"{where}.quality: {quality!r} is not one of {', '.join(QUALITY_ORDER)}",
                details={"field": where},
            )
        if category is None and country is None and quality is None and name is None:
            raise ConfigError(
                f"{where}: a rule needs a category, country, quality or name pattern",
                details={"field": where},
            )
        rules.append(
            ChannelRule(
                category=category.casefold() if category else None,
                country=country.casefold() if country else None,
                quality=quality.upper() if quality else None,
                name=compile_regex(name, f"{where}.name"),
            )
        )
    return rules


def matches_any(
    rules: Sequence[ChannelRule],
    name: str,
    category: str | None,
    country: str | None,
    quality: str | None,
) -> bool:
    return any(rule.matches(name, category, country, quality) for rule in rules)


@dataclass(slots=True)
class GroupFilter:
    """One provider's filter. ``choices`` maps category names ("" for none) to taken or not;
    a category not in it is taken when ``take_new`` is."""

    choices: dict[str, bool]
    take_new: bool = True
    group_include: re.Pattern[str] | None = None
    group_exclude: re.Pattern[str] | None = None
    name_include: re.Pattern[str] | None = None
    name_exclude: re.Pattern[str] | None = None

    @classmethod
    def build(
        cls,
        choices: dict[str, bool],
        *,
        take_new: bool = True,
        group_include: str | None = None,
        group_exclude: str | None = None,
        name_include: str | None = None,
        name_exclude: str | None = None,
    ) -> GroupFilter:
        return cls(
            choices,
            take_new,
            compile_regex(group_include, "group_include"),
            compile_regex(group_exclude, "group_exclude"),
            compile_regex(name_include, "name_include"),
            compile_regex(name_exclude, "name_exclude"),
        )

    @property
    def filters_names(self) -> bool:
        return self.name_include is not None or self.name_exclude is not None

    def takes_group(self, group: str) -> bool:
        if not self.choices.get(group, self.take_new):
            return False
        if self.group_include is not None and not self.group_include.search(group):
            return False
        return self.group_exclude is None or not self.group_exclude.search(group)

    def takes_name(self, name: str) -> bool:
        if self.name_include is not None and not self.name_include.search(name):
            return False
        return self.name_exclude is None or not self.name_exclude.search(name)

    def is_open(self) -> bool:
        """Takes everything: no choice says no, new categories are taken, no pattern is set."""
        return (
            self.take_new
            and all(self.choices.values())
            and self.group_include is None
            and self.group_exclude is None
            and not self.filters_names
        )
