"""tvg-ids and feeds: what a tvg-id says about identity, and what a name adds to it.

The iptv-org convention, which most providers copy, is ``Channel.cc`` with an optional feed:
``DogtheBountyHunter.us@UK``. The feed, when it names a country, is the country of this
entry (the UK feed of a US channel); otherwise it names a region (``@West``), a timeshift
(``@Plus1``), a quality (``@HD``, not identity) or some other feed (``@Adelaide``,
``@English``, ``@LatAm``), which is identity too.

Providers often reuse one feed-less tvg-id for every feed of a channel ("ABC TV Plus
Adelaide" and "ABC TV Plus Melbourne" both ``ABCTVPlus.au``; "DW English" and "DW Russian"
both ``DW.de``). The words a name adds after the channel's known name are then what tells
them apart: ``identity_suffix`` and ``suffix_conflict``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from strmline.matching.countries import country_code
from strmline.matching.languages import canonical_language
from strmline.matching.names import ParsedName, normalize, parse_name, quality_from_label

__all__ = [
    "TvgId",
    "apply_tvg_id",
    "identity_suffix",
    "parse_tvg_id",
    "suffix_conflict",
]


@dataclass(frozen=True, slots=True)
class TvgId:
    raw: str
    channel: str  # the id without its feed, casefolded: "dogthebountyhunter.us"
    base: str  # the id's name part as written: "DogtheBountyHunter"
    base_key: str  # that name as a match key: "dogthebountyhunter" ("BBCOne" -> "bbc 1")
    id_country: str | None  # from ".us"
    feed: str | None  # as written: "UK", "West", "Plus1", "Adelaide"
    country: str | None  # the feed's country when it names one, else id_country
    region: str | None  # a feed that is a known region: "West"
    variant: str | None  # a timeshift feed: "+1"
    quality: str  # a quality feed's label ("HD", "UHD"); "" otherwise
    tag: str | None  # any other feed, normalised: "adelaide", "English", "latam"

    @property
    def identity(self) -> tuple[str, str | None, str | None, str | None, str | None]:
        """Equal for two tvg-ids of the same channel and feed (quality feeds are one feed)."""
        return (self.channel, self.country, self.region, self.variant, self.tag)


_ID_RE = re.compile(r"^(?P<base>.+?)\.(?P<cc>[A-Za-z]{2})$")
_CAMEL_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[^\W\d_A-Za-z]+")
_QUALITY_FEED_RE = re.compile(
    r"^(?:(?P<pre>UHD|FHD|HD|SD|4K|HEVC)(?=[A-Z+]|Plus|$))?(?P<rest>.*?)"
    r"(?P<post>UHD|FHD|HD|SD|4K|HEVC)?$"
)
_PLUS_RE = re.compile(r"(?:Plus|\+)(\d{1,2})\b|(?:Plus|\+)(\d{1,2})$")


def _camel_words(text: str) -> list[str]:
    """ "ABCTVPlus" -> ABCTV Plus; "UKPlus1" -> UK Plus 1; "LatinAmerica" -> Latin America."""
    return _CAMEL_RE.findall(text)


@lru_cache(maxsize=65_536)
def parse_tvg_id(tvg_id: str | None) -> TvgId | None:
    """Parse "DogtheBountyHunter.us@UK" into channel, base, id country and feed parts."""
    if not tvg_id:
        return None
    raw = tvg_id.strip()
    if not raw:
        return None
    channel_part, _, feed_part = raw.partition("@")
    channel_part = channel_part.strip()
    feed = feed_part.strip() or None
    m = _ID_RE.match(channel_part)
    base, id_country = (m.group("base"), country_code(m.group("cc"))) if m else (channel_part, None)
    base_key = parse_name(" ".join(_camel_words(base)) or base).key
    country = region = variant = tag = None
    quality = ""
    if feed is not None:
        country, region, variant, quality, tag = _parse_feed(feed)
    return TvgId(
        raw=raw,
        channel=channel_part.casefold(),
        base=base,
        base_key=base_key,
        id_country=id_country,
        feed=feed,
        country=country or id_country,
        region=region,
        variant=variant,
        quality=quality,
        tag=tag,
    )


def _parse_feed(
    feed: str,
) -> tuple[str | None, str | None, str | None, str, str | None]:
    text = feed
    variant = None
    pm = _PLUS_RE.search(text)
    if pm is not None:
        variant = "+" + (pm.group(1) or pm.group(2))
        text = (text[: pm.start()] + " " + text[pm.end() :]).strip()
    qm = _QUALITY_FEED_RE.match(text.replace(" ", ""))
    quality = ""
    if qm is not None and (qm.group("pre") or qm.group("post")):
        quality = quality_from_label(qm.group("pre") or qm.group("post")).label
        text = qm.group("rest")
    words = _camel_words(text)
    joined = " ".join(words)
    if not words:
        return None, None, variant, quality, None
    country = country_code(joined) or (country_code(text) if text.isalpha() else None)
    if country is not None:
        return country, None, variant, quality, None
    parsed = parse_name(f"X {joined}")
    if parsed.region is not None and parsed.key == "x":
        return None, parsed.region, variant, quality, None
    tag = normalize(joined)
    # Spelled as in names ("Espanol" -> "Spanish"); place feeds squashed ("LatAm" -> "latam").
    return None, None, variant, quality, canonical_language(tag) or tag.replace(" ", "")


def apply_tvg_id(parsed: ParsedName, tvg: TvgId | None) -> ParsedName:
    """Fill what the name leaves open from the tvg-id: country (the feed's first), region.

    The name wins when it says something itself ("UK: X" with ``X.us`` stays UK).
    """
    if tvg is None:
        return parsed
    country = parsed.country or tvg.country
    region = parsed.region or tvg.region
    if country == parsed.country and region == parsed.region:
        return parsed
    return replace(parsed, country=country, region=region)


def _words(text: str) -> list[str]:
    return text.split()


# Words a name may add to a channel's name without naming another channel.
_FILLER = frozenset(_words("tv channel network television tele televisao fernsehen official"))
# Words that, after a shared brand, name a feed: compass points and areas. Languages and
# country names count too (see ``_identity_like``).
_PLACES = frozenset(
    _words(
        """north south east west central northern southern eastern western midlands
    latam latin latino latina america americas europe european asia asian africa african
    arabia arab mena international internacional global world panregional dach apac pacific
    caribbean balkans adria nordic nordics scandinavia atlantic mountain middle
    sydney melbourne brisbane adelaide perth hobart darwin canberra auckland"""
    )
)


def _tail(words: list[str]) -> str:
    kept = [canonical_language(w) or w for w in words if w not in _FILLER]
    return " ".join(kept)


def _squash(words: list[str] | str) -> str:
    text = "".join(words) if isinstance(words, list) else words.replace(" ", "")
    # "DogtheBountyHunter" has "the" glued in; keys drop it as a word.
    return text.replace("the", "").replace("and", "")


def identity_suffix(key: str, base: str) -> str | None:
    """The words ``key`` adds after the channel name ``base`` spells, or None.

    ``base`` is a match key: a tvg-id's ``base_key``, the key of a channel or of a catalogue
    name. "abc tv plus adelaide" after "abc tv plus" -> "adelaide"; "dw espanol" after "dw"
    -> "Spanish" (languages canonical); "fox news channel" after "fox news" -> "" (filler
    words dropped); "fox sports 2" after "fs 2" -> None (another spelling: no evidence).
    Spacing may differ ("abctv plus" spells "abc tv plus").
    """
    words = key.split()
    target = _squash(base)
    if not target:
        return None
    acc = ""
    for i, word in enumerate(words):
        acc += word
        squashed = _squash(acc)
        if squashed == target:
            return _tail(words[i + 1 :])
        if not target.startswith(squashed):
            return None
    return None


def _identity_like(tail: str) -> bool:
    words = tail.split()
    if not words:
        return False
    return (
        any(
            w in _PLACES or canonical_language(w) is not None or w[0].isupper() or w.isdigit()
            for w in words
        )
        or country_code(tail) is not None
    )


def suffix_conflict(key_a: str, key_b: str, base: str | None = None) -> bool:
    """Do two names of one brand name different feeds (a region, language or place)?

    With ``base`` (the shared tvg-id's ``base_key``, or a known channel's key), words either
    name adds after it are identity: "abc tv plus adelaide" / "abc tv plus melbourne" with
    base "abc tv plus" conflict, "dw english" / "dw" with base "dw" conflict. Without a base
    (or when a name does not spell it), the words after the names' common start conflict
    when one side names a place, language or country: "universal tv latin america" /
    "universal tv south". Different spellings of one name never conflict here.
    """
    if key_a == key_b:
        return False
    if base:
        sa, sb = identity_suffix(key_a, base), identity_suffix(key_b, base)
        if sa is not None and sb is not None:
            return sorted(sa.split()) != sorted(sb.split())
    a, b = key_a.split(), key_b.split()
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    if n == 0:
        return False
    ta, tb = _tail(a[n:]), _tail(b[n:])
    if sorted(ta.split()) == sorted(tb.split()):
        return False  # the same words in another order: "ABC (WPLG) Miami" / "ABC Miami (WPLG)"
    return _identity_like(ta) or _identity_like(tb)
