"""The built-in channel catalogue: which real channel is "FS2", and what is its logo? (pure)

A lookup structure over the iptv-org channel database (public domain), read from the compact
snapshot that :mod:`strmline.matching.catalogue_build` writes. It resolves a provider's name
(aliases and rebrands: "FS2" is Fox Sports 2, "BT Sport 10" is now TNT Sports 10) or a tvg-id
("FoxSports2.us", "BBCOne.uk@Scotland") to one catalogue channel, and gives what a new channel
lacks: canonical name, country, categories, a logo and a guide id.

Precision first, as in the matcher: a name several channels carry ("Nicktoons" exists in 15
countries) resolves only when the country settles it, and a country that disagrees with every
candidate resolves to nothing. Names are compared folded: accents, case, spaces, punctuation and
quality tags do not count, number words are digits ("Canal Sur" = "CanalSur", "ITV 1" = "ITV1",
"BBC One" = "BBC1").

The snapshot shipped in the package loads once, lazily (:func:`packaged`); a refreshed one
(``strmline catalogue update``) is read by the caller and handed to :meth:`Catalogue.from_bytes`.
"""

from __future__ import annotations

import gzip
import itertools
import json
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from strmline.errors import FormatError
from strmline.matching.catalogue_build import FORMAT, fold
from strmline.matching.names import ParsedName, country_code, parse_name

__all__ = [
    "Alias",
    "Catalogue",
    "CatalogueChannel",
    "Enrichment",
    "Feed",
    "Match",
    "fold",
    "packaged",
]

PACKAGED_FILE = "catalogue.json.gz"
_HIT_FEED_BITS = 12  # a hit is one int: channel index, feed index + 1, rank


@dataclass(frozen=True, slots=True)
class Feed:
    id: str
    name: str
    alt_names: tuple[str, ...]
    main: bool
    broadcast_area: tuple[str, ...]  # "c/UK", "r/EUR", "s/US-CA"
    languages: tuple[str, ...]
    format: str


@dataclass(frozen=True, slots=True)
class CatalogueChannel:
    id: str  # "FoxSports2.us"
    name: str
    alt_names: tuple[str, ...]
    network: str
    country: str  # upper case, UK for the United Kingdom, as strmline writes it
    categories: tuple[str, ...]  # ids: "sports", "kids"
    logo: str
    closed: str  # date the channel closed, "" while it broadcasts
    replaced_by: str
    feeds: tuple[Feed, ...]


@dataclass(frozen=True, slots=True)
class Match:
    channel: CatalogueChannel
    feed: Feed | None  # a non-main feed the name or tvg-id named ("Scotland")
    method: str  # "tvg-id" | "name" | "alias" | "feed"
    confidence: int

    @property
    def tvg_id(self) -> str:
        """The guide id public XMLTV guides (iptv-org/epg) use: "BBCOne.uk@Scotland"."""
        if self.feed is None or self.feed.main:
            return self.channel.id
        return f"{self.channel.id}@{self.feed.id}"

    @property
    def name(self) -> str:
        if self.feed is None or self.feed.main:
            return self.channel.name
        return f"{self.channel.name} {self.feed.name}"

    @property
    def reason(self) -> str:
        return f"catalogue: {self.name} ({self.tvg_id})"


@dataclass(frozen=True, slots=True)
class Alias:
    """What the matcher may use as an entry's identity: the canonical name's key and region."""

    key: str  # parse_name(canonical name).key: "fox sports 2"
    region: str | None
    country: str | None  # None when the name fits one spelling in several countries
    tvg_id: str | None  # catalogue id ("FoxSports2.us", "BBCOne.uk@Scotland") when resolved
    reason: str  # "catalogue: Fox Sports 2 (FoxSports2.us)"


@dataclass(frozen=True, slots=True)
class Enrichment:
    """What the catalogue knows of a channel, to fill what the provider left empty."""

    id: str
    name: str
    country: str | None
    category: str | None  # display name of the first category: "Sports"
    categories: tuple[str, ...]
    logo: str | None
    tvg_id: str
    method: str
    confidence: int
    reason: str

    def fill(self, row: dict[str, Any], *, rename: bool = False) -> dict[str, Any]:
        """Set the empty ``country``, ``category``, ``logo`` and ``tvg_id`` of a channel row.

        Never overwrites a value the provider (or the user) gave; ``rename`` also replaces
        ``name`` with the canonical one.
        """
        for key, value in (
            ("country", self.country),
            ("category", self.category),
            ("logo", self.logo),
            ("tvg_id", self.tvg_id),
        ):
            if value and not row.get(key):
                row[key] = value
        if rename and self.name:
            row["name"] = self.name
        return row


# A hit: (channel index, feed index or -1, rank of the name that matched).
_Hit = tuple[int, int, int]


def _channel(channel_id: str, raw: list[Any]) -> CatalogueChannel:
    return CatalogueChannel(
        id=channel_id,
        name=raw[0],
        alt_names=tuple(raw[1]),
        network=raw[2],
        country=country_code(raw[3]) or raw[3],
        categories=tuple(raw[4]),
        logo=raw[5],
        closed=raw[6],
        replaced_by=raw[7],
        feeds=tuple(
            Feed(f[0], f[1], tuple(f[2]), bool(f[3]), tuple(f[4]), tuple(f[5]), f[6])
            for f in raw[8]
        ),
    )


class Catalogue:
    """Folded name -> channels, and id -> channel; :meth:`lookup` decides which one is meant.

    Loading fills two dictionaries from the snapshot's stored keys; a channel's record is
    parsed from its JSON only when a lookup returns it.
    """

    __slots__ = ("_by_id", "_by_name", "_ids", "_objects", "_raw", "categories", "source")

    def __init__(self, text: str | bytes) -> None:
        # Read from bytes line by line: one str of the whole snapshot would take four bytes a
        # character (a few names are outside the BMP), ~50 MB at its peak instead of ~10.
        data = text.encode("utf-8") if isinstance(text, str) else text
        lines = data.splitlines()
        try:
            header = json.loads(lines[0]) if lines else None
        except ValueError:
            raise FormatError("channel catalogue: not a snapshot") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            found = header.get("format") if isinstance(header, dict) else None
            raise FormatError(f"channel catalogue: format {found!r}, this strmline reads {FORMAT}")
        self.categories: dict[str, str] = header.get("categories", {})
        self.source: dict[str, Any] = header.get("source", {})
        self._ids: list[str] = []
        self._raw: list[bytes] = []
        self._objects: dict[int, CatalogueChannel] = {}
        self._by_id: dict[str, int] = {}
        by_name: dict[str, int | list[int]] = {}
        for ci, line in enumerate(itertools.islice(lines, 1, None)):
            channel_id, keys, raw = line.split(b"\t", 2)
            cid = channel_id.decode("utf-8")
            self._ids.append(cid)
            self._raw.append(raw)
            self._by_id[cid.casefold()] = ci
            base = ci << _HIT_FEED_BITS
            for token in keys.decode("utf-8").split():
                tag, _, key = token.partition(":")
                feed = int(tag[2:]) + 1 if tag[0] == "2" else 0
                hit = ((base | feed) << 2) | int(tag[0])
                old = by_name.get(key)
                if old is None:
                    by_name[key] = hit
                elif isinstance(old, int):
                    by_name[key] = [old, hit]
                else:
                    old.append(hit)
        self._by_name = by_name

    @classmethod
    def from_bytes(cls, data: bytes) -> Catalogue:
        """Read a snapshot (gzipped or not)."""
        try:
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise FormatError(f"channel catalogue: not a snapshot ({exc})") from None
        try:
            return cls(data)
        except (ValueError, IndexError) as exc:
            raise FormatError(f"channel catalogue: damaged snapshot ({exc})") from None

    def __len__(self) -> int:
        return len(self._raw)

    def channel(self, index: int) -> CatalogueChannel:
        obj = self._objects.get(index)
        if obj is None:
            obj = self._objects[index] = _channel(self._ids[index], json.loads(self._raw[index]))
        return obj

    def get(self, channel_id: str) -> CatalogueChannel | None:
        """The channel with this iptv-org id ("FoxSports2.us"), in any case."""
        index = self._by_id.get(channel_id.strip().casefold())
        return None if index is None else self.channel(index)

    def _hits(self, key: str) -> list[_Hit]:
        found = self._by_name.get(key)
        if found is None:
            return []
        packed = [found] if isinstance(found, int) else found
        mask = (1 << _HIT_FEED_BITS) - 1
        return [(h >> (_HIT_FEED_BITS + 2), ((h >> 2) & mask) - 1, h & 3) for h in packed]

    # --- lookup -----------------------------------------------------------------------------

    def by_tvg_id(self, tvg_id: str) -> Match | None:
        """The channel (and feed) a tvg-id names: "FoxSports2.us", "BBCOne.uk@Scotland"."""
        base, _, feed_id = tvg_id.strip().partition("@")
        index = self._by_id.get(base.casefold())
        if index is None:
            return None
        channel = self.channel(index)
        feed = None
        if feed_id:
            feed = next((f for f in channel.feeds if f.id.casefold() == feed_id.casefold()), None)
        return Match(channel, feed, "tvg-id", 100)

    def candidates(self, name: str, country: str | None = None) -> list[Match]:
        """Every catalogue channel the name may mean, best first; country filters when given."""
        return self._candidates(parse_name(name), name, country)

    def _candidates(self, parsed: ParsedName, name: str, country: str | None) -> list[Match]:
        given = _country(country)
        if given and parsed.country and given != parsed.country:
            return []  # "PL: Nicktoons" asked for in the US: the countries disagree
        country = given or parsed.country
        key = fold(parsed.display) or fold(name)
        hits = self._hits(key)
        if not hits:
            # A country written as a suffix: "Sportsnet One CA", "Nicktoons PL".
            head, _, last = parsed.display.rpartition(" ")
            suffix = country_code(last) if head and len(last) in (2, 3) else None
            if suffix is not None and (country is None or country == suffix):
                hits = self._hits(fold(head))
                country = suffix
            if not hits:
                return []
        matches = [self._match(h, country) for h in hits]
        found = [m for m in matches if m is not None]
        found.sort(key=lambda m: (-m.confidence, bool(m.channel.closed), m.channel.id))
        return found

    def lookup(
        self, name: str, country: str | None = None, tvg_id: str | None = None
    ) -> Match | None:
        """The one catalogue channel meant, or None when unknown or ambiguous.

        A tvg-id the catalogue knows decides; otherwise the name (with aliases and feeds), in
        the given country or the one the name carries ("PL: Nicktoons"). Without a country a
        name several channels share resolves only to the one still broadcasting, if just one is.
        """
        return self._lookup(parse_name(name), name, country, tvg_id)

    def _lookup(
        self, parsed: ParsedName, name: str, country: str | None, tvg_id: str | None
    ) -> Match | None:
        if tvg_id:
            by_id = self.by_tvg_id(tvg_id)
            if by_id is not None:
                return by_id
        return _decide(self._candidates(parsed, name, country))

    def _match(self, hit: _Hit, country: str | None) -> Match | None:
        ci, fi, rank = hit
        channel = self.channel(ci)
        feed = channel.feeds[fi] if fi >= 0 else None
        method = ("name", "alias", "feed")[rank]
        confidence = (95, 90, 90)[rank]
        if country is None:
            return Match(channel, feed, method, confidence - 5)
        if channel.country == country:
            return Match(channel, feed, method, confidence)
        # A channel of another country that broadcasts here under its own feed.
        area = f"c/{country}"
        for f in channel.feeds if feed is None else (feed,):
            if area in f.broadcast_area:
                return Match(channel, f, method, confidence - 5)
        return None

    # --- what the product asks --------------------------------------------------------------

    def enrich(
        self,
        name: str,
        country: str | None = None,
        tvg_id: str | None = None,
        logo: str | None = None,
        *,
        parsed: ParsedName | None = None,
    ) -> Enrichment | None:
        """Canonical name, country, category, logo and guide id of the channel a name means.

        ``logo`` is the provider's: it is kept when given. None when the catalogue does not
        know the channel for sure. ``parsed``: the name already parsed (the sync has it).
        """
        m = self._lookup(parsed or parse_name(name), name, country, tvg_id)
        if m is None:
            return None
        channel = m.channel
        first = channel.categories[0] if channel.categories else None
        return Enrichment(
            id=channel.id,
            name=m.name,
            country=channel.country or None,
            category=self.categories.get(first, first.title()) if first else None,
            categories=channel.categories,
            logo=logo or channel.logo or None,
            tvg_id=m.tvg_id,
            method=m.method,
            confidence=m.confidence,
            reason=m.reason,
        )

    def alias_key(
        self, name: str, country: str | None = None, tvg_id: str | None = None
    ) -> Alias | None:
        """The canonical name's match key, region and country, for the matcher; or None.

        "FS2" and "Fox Sports 2" give the key of "Fox Sports 2"; "BT Sport 10" the key of
        "TNT Sports 10". When the name fits several channels that all carry one canonical name
        ("Canal Sur" / "CanalSur" in Ecuador, Spain and the US) the key comes without a
        country or id, so spellings still meet but countries are left to the matcher.

        Only the name decides: a tvg-id can choose among the channels the name fits, never
        replace the name, because providers give every local of a network the network's id
        ("ABC 7 New York" as "ABC.us") and an alias from the id alone would merge them all.
        """
        return self._alias(parse_name(name), name, country, tvg_id)

    def _alias(
        self, parsed: ParsedName, name: str, country: str | None, tvg_id: str | None
    ) -> Alias | None:
        found = self._candidates(parsed, name, country)
        if not found:
            return None
        if tvg_id:
            base = tvg_id.strip().partition("@")[0].casefold()
            named = [m for m in found if m.channel.id.casefold() == base]
            found = named or found
        m = _decide(found)
        if m is not None:
            canon = parse_name(m.name)
            return Alias(canon.key, canon.region, m.channel.country or None, m.tvg_id, m.reason)
        if len({fold(c.name) for c in found}) != 1:
            return None
        canon = parse_name(found[0].name)
        return Alias(canon.key, canon.region, None, None, f"catalogue: {found[0].name}")

    def canonical(self, parsed: ParsedName, tvg_id: str | None = None) -> ParsedName:
        """The identity the matcher should use for an entry: its own, or the catalogue's
        canonical one when the name is an alias or rebrand ("FS2" -> key "fox sports 2").

        A name whose key is already canonical comes back unchanged (the same object), so the
        catalogue adds nothing where the rules already agree; the country the alias brings
        only fills a name that had none.
        """
        alias = self._alias(parsed, parsed.original, None, tvg_id)
        if alias is None:
            return parsed
        region = parsed.region or alias.region
        if alias.key == parsed.key and region == parsed.region:
            return parsed
        return replace(
            parsed,
            key=alias.key,
            region=region,
            country=parsed.country or alias.country,
            alias=alias.reason,
        )


def _decide(found: list[Match]) -> Match | None:
    """The one channel among a name's candidates (best first), or None when they disagree."""
    if not found:
        return None
    if len({m.channel.id for m in found}) == 1:
        return found[0]
    best = [m for m in found if m.confidence == found[0].confidence]
    if len(best) == 1:
        return best[0]
    live = [m for m in best if not m.channel.closed]
    if len(live) == 1:
        m = live[0]
        return Match(m.channel, m.feed, m.method, m.confidence - 10)
    return None


def _country(value: str | None) -> str | None:
    if not value:
        return None
    return country_code(value) or value.strip().upper()


@cache
def packaged() -> Catalogue:
    """The snapshot shipped in the package, read once."""
    data = resources.files("strmline.matching").joinpath("data", PACKAGED_FILE).read_bytes()
    return Catalogue.from_bytes(data)
