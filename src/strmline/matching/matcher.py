"""Which channel is this entry? An in-memory index of known channels, and batch clustering.

Order of evidence, strongest first:

1. merge rules (``always`` joins, ``never`` forbids; both beat everything below);
2. the same match key and region, with no conflicting country (one side without a country is
   not a conflict, two different countries are);
3. the same tvg-id, when country, region, variant and numbers agree and the names are not
   two different feeds of one brand (providers reuse a network's tvg-id for every local);
4. fuzzy similarity of keys (rapidfuzz ``token_sort_ratio``) inside a small candidate block
   (keys sharing the first three characters), above the threshold, under the same conflict
   checks, and never between keys holding different numbers (BBC One / BBC Two).

Precision beats recall: a wrong merge hides a channel, a missed one only shows it twice. So an
entry without a country whose key fits channels of several countries starts its own channel
instead of guessing, unless its tvg-id settles it.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar, cast

from rapidfuzz import fuzz, process

from strmline.matching.names import ParsedName, country_code, parse_name
from strmline.matching.rules import MergeRule

__all__ = [
    "BLOCK_PREFIX",
    "Assignment",
    "ChannelIndex",
    "Clustered",
    "MatchItem",
    "cluster",
    "tvg_country",
    "with_tvg_country",
]

BLOCK_PREFIX = 3
_FUZZY_LIMIT = 5
_MIN_FUZZY_KEY = 4
# A block this large means the prefix says nothing (a playlist of "TV ..." names); scanning it
# for every unmatched entry would make matching quadratic, so such entries go unfuzzed.
_MAX_BLOCK = 2000
# Same tvg-id but names that share a brand and differ in the rest ("ABC 7 New York" vs
# "ABC 7 Chicago", "ESPN" vs "ESPN Deportes") are different channels carrying one id.
_TVG_MIN_SIMILARITY = 60
_WORD_MIN_SIMILARITY = 80
_PLUS = "plus"
_T = TypeVar("_T")
_K = TypeVar("_K")


@dataclass(frozen=True, slots=True)
class Assignment:
    ref: Hashable | None
    method: str
    confidence: int
    reason: str


@dataclass(frozen=True, slots=True)
class MatchItem:
    id: Hashable
    name: str
    tvg_id: str | None = None
    parsed: ParsedName | None = None


@dataclass(frozen=True, slots=True)
class Clustered:
    item_id: Hashable
    cluster: int
    assignment: Assignment


def _numbers(key: str) -> tuple[str, ...]:
    return tuple(t for t in key.split() if t.isdigit())


def _norm_tvg(tvg_id: str | None) -> str | None:
    if not tvg_id:
        return None
    tvg = tvg_id.strip().casefold()
    return tvg or None


_TVG_COUNTRY_RE = re.compile(r"\.([a-z]{2})(?:@[\w-]*)?$", re.IGNORECASE)


def tvg_country(tvg_id: str | None) -> str | None:
    """The country a tvg-id like "ESPN.us" names ("US"), or None.

    Any two letters count, not only the countries names are parsed for: "AmgaTV.am" is
    Armenian, and that alone must keep it apart from "AMGTV.us".
    """
    if not tvg_id:
        return None
    m = _TVG_COUNTRY_RE.search(tvg_id.strip())
    if m is None:
        return None
    code = m.group(1)
    return country_code(code) or code.upper()


def with_tvg_country(parsed: ParsedName, tvg_id: str | None) -> ParsedName:
    """Take the country from a tvg-id like "ESPN.us" when the name itself has none.

    The iptv-org convention (``Name.cc``) is what most providers copy; without it a
    country-less "Fox" could only be guessed into US or UK.
    """
    if parsed.country is not None or not tvg_id:
        return parsed
    country = tvg_country(tvg_id)
    return parsed if country is None else replace(parsed, country=country)


class _Channel:
    """What the index knows about one channel (ref): the union of its names' identities."""

    __slots__ = (
        "alias",
        "countries",
        "keys",
        "numbers",
        "order",
        "plain",
        "ref",
        "regions",
        "sides",
        "tvg_countries",
        "tvg_ids",
        "variants",
    )

    def __init__(self, ref: Hashable, order: int, n_rules: int) -> None:
        # Tuples, not sets: nearly every channel has one value of each, and 25k channels of
        # five empty sets would cost more memory than the rest of the index.
        self.ref = ref
        self.order = order
        self.alias: str | None = None  # the catalogue's reason when a member's key came from it
        self.plain = False  # a member's own key is the channel's key (no catalogue needed)
        self.countries: tuple[str, ...] = ()
        self.regions: tuple[str | None, ...] = ()
        self.variants: tuple[str | None, ...] = ()
        self.numbers: tuple[tuple[str, ...], ...] = ()
        self.keys: tuple[str, ...] = ()
        self.tvg_ids: tuple[str, ...] = ()
        self.tvg_countries: tuple[str, ...] = ()
        # Read only with merge rules; without, one shared empty tuple (not 65k empty lists).
        self.sides: Sequence[set[int]] = [set() for _ in range(n_rules)] if n_rules else ()

    def country_ok(self, country: str | None) -> bool:
        if country is None or not self.countries:
            return True
        return len(self.countries) == 1 and self.countries[0] == country

    def fuzzy_identity_ok(
        self, parsed: ParsedName, numbers: tuple[str, ...], tvg_cc: str | None
    ) -> bool:
        # Numbers and "+" are hard identity; word variants ("Family", "Extra") are left to
        # the per-word check, so a typo in them ("Famly") can still match. Similar names
        # whose tvg-ids say different countries are two channels ("AMGTV.us" / "AmgaTV.am"),
        # whatever country the names claim.
        plus = _PLUS in parsed.key.split()
        return (
            self.country_ok(parsed.country)
            and (tvg_cc is None or not self.tvg_countries or tvg_cc in self.tvg_countries)
            and self.regions == (parsed.region,)
            and self.numbers == (numbers,)
            and all((_PLUS in k.split()) == plus for k in self.keys)
        )

    def identity_ok(self, parsed: ParsedName, numbers: tuple[str, ...]) -> bool:
        return (
            self.country_ok(parsed.country)
            and self.regions == (parsed.region,)
            and self.variants == (parsed.variant,)
            and self.numbers == (numbers,)
        )


# One-element tuples of the values nearly every channel has (a country, no region, no
# numbers): one shared tuple per value instead of one per channel (65k channels, seven each).
_ONE: dict[object, tuple[object, ...]] = {}


def _plus_one(values: tuple[_T, ...], value: _T) -> tuple[_T, ...]:
    if values:
        return (*values, value)
    one = _ONE.get(value)
    if one is None:
        one = _ONE[value] = (value,)
    return cast(tuple[_T, ...], one)


def _bucket(found: _Channel | list[_Channel] | None) -> list[_Channel]:
    if found is None:
        return []
    return found if isinstance(found, list) else [found]


def _append(index: dict[_K, _Channel | list[_Channel]], key: _K, ch: _Channel) -> None:
    """Add ``ch`` under ``key``: the channel itself while it is the only one, else a list."""
    found = index.get(key)
    if found is None:
        index[key] = ch
    elif isinstance(found, list):
        if ch not in found:
            found.append(ch)
    elif found is not ch:
        index[key] = [found, ch]


def _words_close(key: str, other: str) -> bool:
    """Every word of each key has a close partner in the other.

    Whole-string similarity lets one changed letter in a short word through ("Blaze Gold" vs
    "Blaze Golf" scores 90); a typo in a real word keeps its partner above 80 ("Tennes" /
    "Tennis" 83, "Famly" / "Family" 91), a different short word does not ("Gold" / "Golf" 75,
    "Prime" / "Crime").
    """
    a = key.split()
    b = other.split()
    for mine, theirs in ((a, b), (b, a)):
        for word in mine:
            if word in theirs:
                continue
            # Typos rarely hit the first letter; a different first letter is another word.
            best = max((fuzz.ratio(word, w) for w in theirs if w[0] == word[0]), default=0)
            if best < _WORD_MIN_SIMILARITY:
                return False
    return True


class ChannelIndex:
    """Channels known so far; used by the sync pipeline, which loads existing channels once
    and then matches every new entry in memory.

    ``match`` never changes the index: the caller decides (new channel or join) and then
    calls ``add`` with the chosen ref, so the next entry sees it.
    """

    def __init__(self, *, threshold: int = 90, rules: Sequence[MergeRule] = ()) -> None:
        self._threshold = threshold
        self._rules = tuple(rules)
        self._channels: dict[Hashable, _Channel] = {}
        # Keyed by the key alone when there is no region; one channel or a list of them.
        self._by_key: dict[str | tuple[str, str], _Channel | list[_Channel]] = {}
        self._by_tvg: dict[str, _Channel | list[_Channel]] = {}
        self._blocks: dict[str, list[str]] = {}
        self._block_refs: dict[str, _Channel | list[_Channel]] = {}
        self._always: dict[tuple[int, int], list[_Channel]] = {}

    def __len__(self) -> int:
        return len(self._channels)

    def _sides(self, parsed: ParsedName) -> list[int]:
        return [rule.side(parsed.original, parsed.display) for rule in self._rules]

    def add(self, ref: Hashable, parsed: ParsedName, tvg_id: str | None = None) -> None:
        parsed = with_tvg_country(parsed, tvg_id)
        ch = self._channels.get(ref)
        if ch is None:
            ch = _Channel(ref, len(self._channels), len(self._rules))
            self._channels[ref] = ch
        if parsed.alias is None:
            ch.plain = True
        elif ch.alias is None:
            ch.alias = parsed.alias
        if parsed.country is not None and parsed.country not in ch.countries:
            ch.countries = _plus_one(ch.countries, parsed.country)
        if parsed.region not in ch.regions:
            ch.regions = _plus_one(ch.regions, parsed.region)
        if parsed.variant not in ch.variants:
            ch.variants = _plus_one(ch.variants, parsed.variant)
        key = parsed.key
        _append(self._by_key, _lookup(key, parsed.region), ch)
        if key not in ch.keys:
            ch.keys += (key,)
            numbers = _numbers(key)
            if numbers not in ch.numbers:
                ch.numbers = _plus_one(ch.numbers, numbers)
            if len(key) >= _MIN_FUZZY_KEY:
                if key not in self._block_refs:
                    self._blocks.setdefault(key[:BLOCK_PREFIX], []).append(key)
                _append(self._block_refs, key, ch)
        tvg = _norm_tvg(tvg_id)
        if tvg is not None and tvg not in ch.tvg_ids:
            ch.tvg_ids += (tvg,)
            _append(self._by_tvg, tvg, ch)
            cc = tvg_country(tvg)
            if cc is not None and cc not in ch.tvg_countries:
                ch.tvg_countries = _plus_one(ch.tvg_countries, cc)
        if self._rules:
            for i, side in enumerate(self._sides(parsed)):
                if side and side not in ch.sides[i]:
                    ch.sides[i].add(side)
                    if self._rules[i].kind == "always":
                        self._always.setdefault((i, side), []).append(ch)

    def _forbidden(self, ch: _Channel, sides: list[int]) -> bool:
        for i, side in enumerate(sides):
            if side and self._rules[i].kind == "never" and any(s != side for s in ch.sides[i]):
                return True
        return False

    def match(self, parsed: ParsedName, tvg_id: str | None = None) -> Assignment:
        parsed = with_tvg_country(parsed, tvg_id)
        sides = self._sides(parsed) if self._rules else []
        never = bool(sides) and any(sides)

        if sides:
            forced = self._match_always(sides)
            if forced is not None:
                return forced

        key = parsed.key
        country = parsed.country
        tvg = _norm_tvg(tvg_id)

        exact = _bucket(self._by_key.get(_lookup(key, parsed.region)))
        if exact:
            chosen = self._pick_exact(exact, country, tvg, sides if never else None)
            if chosen is not None:
                same_country = country is None or country in chosen.countries
                confidence = 100 if same_country or not chosen.countries else 95
                return _exact(chosen, parsed, confidence)
            if country is None and any(ch.countries for ch in exact):
                # Same name in several countries and nothing to tell which: looser evidence
                # (fuzzy) would only pick one of them at random.
                seen = ", ".join(sorted({c for ch in exact for c in ch.countries}))
                return Assignment(None, "new", 100, f"name key {key!r} is ambiguous: {seen}")

        numbers = _numbers(key)
        if tvg is not None:
            for ch in _bucket(self._by_tvg.get(tvg)):
                if not ch.identity_ok(parsed, numbers):
                    continue
                if never and self._forbidden(ch, sides):
                    continue
                if not self._names_compatible(key, ch):
                    continue
                return Assignment(ch.ref, "tvg_id", 95, f"same tvg-id {tvg_id!r}")

        if len(key) >= _MIN_FUZZY_KEY:
            block = self._blocks.get(key[:BLOCK_PREFIX])
            if block and len(block) <= _MAX_BLOCK:
                hits = process.extract(
                    key,
                    block,
                    scorer=fuzz.token_sort_ratio,
                    score_cutoff=self._threshold,
                    limit=_FUZZY_LIMIT,
                )
                found: list[tuple[_Channel, float, str]] = []
                tvg_cc = tvg_country(tvg)
                for choice, score, _ in hits:
                    if choice == key or _numbers(choice) != numbers:
                        continue
                    if not _words_close(key, choice):
                        continue
                    for ch in _bucket(self._block_refs[choice]):
                        if not ch.fuzzy_identity_ok(parsed, numbers, tvg_cc):
                            continue
                        if never and self._forbidden(ch, sides):
                            continue
                        found.append((ch, score, choice))
                if found:
                    near = {c for ch, _, _ in found for c in ch.countries}
                    if country is None and len(near) > 1:
                        return Assignment(
                            None,
                            "new",
                            100,
                            f"similar names in several countries ({', '.join(sorted(near))})",
                        )
                    ch, score, choice = found[0]
                    return Assignment(
                        ch.ref, "fuzzy", int(score), f"fuzzy {round(score)} vs {choice!r}"
                    )

        return Assignment(None, "new", 100, "no matching channel")

    def _match_always(self, sides: list[int]) -> Assignment | None:
        best: _Channel | None = None
        best_rule = 0
        for i, side in enumerate(sides):
            if not side or self._rules[i].kind != "always":
                continue
            for other in (1, 2, 3):
                if other == side:
                    continue
                for ch in self._always.get((i, other), ()):
                    if self._forbidden(ch, sides):
                        continue
                    if best is None or ch.order < best.order:
                        best, best_rule = ch, i
        if best is None:
            return None
        return Assignment(best.ref, "rule", 100, self._rules[best_rule].describe())

    def _pick_exact(
        self,
        candidates: list[_Channel],
        country: str | None,
        tvg: str | None,
        sides: list[int] | None,
    ) -> _Channel | None:
        fits = [
            ch
            for ch in candidates
            if ch.country_ok(country) and not (sides and self._forbidden(ch, sides))
        ]
        if not fits:
            return None
        if len(fits) == 1:
            return fits[0]
        if tvg is not None:
            by_tvg = [ch for ch in fits if tvg in ch.tvg_ids]
            if by_tvg:
                return min(by_tvg, key=_order)
        if country is not None:
            same = [ch for ch in fits if country in ch.countries]
            return min(same or fits, key=_order)
        # No country: a channel without one is the natural home; among channels of several
        # countries there is nothing to choose by, and guessing would be a wrong merge.
        unplaced = [ch for ch in fits if not ch.countries]
        if unplaced:
            return min(unplaced, key=_order)
        countries = {c for ch in fits for c in ch.countries}
        if len(countries) == 1:
            return min(fits, key=_order)
        return None

    @staticmethod
    def _names_compatible(key: str, ch: _Channel) -> bool:
        words = set(key.split())
        for other in ch.keys:
            if other == key:
                return True
            other_words = set(other.split())
            if not words & other_words:
                return True  # an alias ("ARD" / "Das Erste"): the tvg-id is the evidence
            if fuzz.token_sort_ratio(key, other) >= _TVG_MIN_SIMILARITY:
                return True
        return False


def _exact(chosen: _Channel, parsed: ParsedName, confidence: int) -> Assignment:
    # The catalogue decided when this name or every name already there is an alias.
    alias = parsed.alias or (None if chosen.plain else chosen.alias)
    if alias is not None:
        return Assignment(chosen.ref, "catalogue", confidence, alias)
    where = f" ({parsed.country})" if parsed.country else ""
    return Assignment(chosen.ref, "exact", confidence, f"same name key {parsed.key!r}{where}")


def _lookup(key: str, region: str | None) -> str | tuple[str, str]:
    return key if region is None else (key, region)


def _order(ch: _Channel) -> int:
    return ch.order


def cluster(
    items: Iterable[MatchItem], *, threshold: int = 90, rules: Sequence[MergeRule] = ()
) -> list[Clustered]:
    """Group entries into channels; results in input order, numbered canonically.

    Entries are matched in a canonical order (by identity, then tvg-id, name and id), so the
    same entries give the same partition and the same cluster numbers whatever order they
    come in. Entries with a country come before those without, so a country-less entry meets
    every country's channel and can see when it is ambiguous.
    """
    entries = items if isinstance(items, list) else list(items)
    parsed_all: list[ParsedName] = []
    keys: list[tuple[str, ...]] = []
    for item in entries:
        parsed = item.parsed if item.parsed is not None else parse_name(item.name)
        parsed = with_tvg_country(parsed, item.tvg_id)
        parsed_all.append(parsed)
        keys.append(
            (
                parsed.key,
                parsed.region or "",
                parsed.variant or "",
                "1" if parsed.country is None else "0",
                parsed.country or "",
                item.tvg_id or "",
                item.name,
                str(item.id),
            )
        )
    # Positions sorted by key, and the keys dropped: 100k entries' keys are tens of MB.
    order = sorted(range(len(entries)), key=keys.__getitem__)
    del keys

    index = ChannelIndex(threshold=threshold, rules=rules)
    out: list[Clustered | None] = [None] * len(entries)
    # The loop allocates ~100k small acyclic objects; letting the cyclic collector rescan
    # every live object over and over costs a third of the run and reclaims nothing.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    previous: Assignment | None = None
    try:
        for pos in order:
            item = entries[pos]
            parsed = parsed_all[pos]
            assignment = index.match(parsed, item.tvg_id)
            if assignment == previous:
                assignment = previous  # neighbours share one object: 100k entries, ~25k reasons
            previous = assignment
            # Refs are cluster numbers handed out here, in canonical order.
            number = len(index) if assignment.ref is None else cast(int, assignment.ref)
            index.add(number, parsed, item.tvg_id)
            out[pos] = Clustered(item.id, number, assignment)
    finally:
        if gc_was_enabled:
            gc.enable()
    return [c for c in out if c is not None]
