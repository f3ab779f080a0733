"""Channel name parsing: "US: ESPN2 ᴴᴰ [Geo-blocked]" -> display "ESPN 2", key "espn 2", US, HD.

Pure and fast: the sync pipeline parses every provider entry (100k+ per run), so everything
here is precompiled and ``parse_name`` is cached.

Conventions (stable, because match keys are stored in the database):

* Countries are upper-case two-letter codes (see ``countries``): ``UK`` for the United
  Kingdom, because that is what IPTV providers write. A country is read from a prefix
  ("US:", "|UK|"), a bracket ("[CA]", "(FR)", a flag) or a suffix ("ATV TR",
  "Sportsnet One 720p CA", "MTV India"), and is never part of the key.
* Styled letters (superscript, small capital, full-width, circled, squared, mathematical)
  are folded to plain ones first (``unicode_tags``): "BBC ONE WALES ˢᴰ" is Wales, SD.
* ``key`` is the identity of the *base name plus variant*: quality, country, region and noise
  are removed; numbers, "+" (spelled ``plus``) and variant words stay, so "ESPN", "ESPN 2",
  "ESPN+" and "ESPNews" all have different keys while "ESPN2" and "ESPN 2" share one.
  The region is carried separately (``HBO East`` -> key ``hbo``, region ``East``), and the
  matcher treats (key, region) as identity.
* English number words become digits in the key ("BBC One" == "BBC1"), and runs of single
  letters are joined ("A & E" == "A&E" == "AE").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from strmline.matching.countries import country_code, suffix_country
from strmline.matching.languages import language_of
from strmline.matching.unicode_tags import fold_styled

__all__ = [
    "ParsedName",
    "Quality",
    "country_code",
    "normalize",
    "parse_name",
    "quality_from_label",
]


@dataclass(frozen=True, slots=True)
class Quality:
    label: str
    height: int | None
    codec: str | None
    fps: int | None
    score: int


@dataclass(frozen=True, slots=True)
class ParsedName:
    original: str
    display: str
    key: str
    country: str | None
    region: str | None
    variant: str | None
    quality: Quality
    tags: tuple[str, ...]
    # The language a trailing word names ("DW English" -> "English"); it stays in the key.
    language: str | None = None
    # Set when the built-in catalogue gave the key (an alias or rebrand): the merge reason.
    alias: str | None = None


# Unknown quality ranks between SD and HD: an unlabelled stream is usually better than one
# a provider bothered to label SD, and never better than one labelled HD.
_CLASS_RANK = {"SD": 10, "": 15, "HD": 20, "FHD": 30, "QHD": 40, "UHD": 50, "8K": 60}
_CLASS_HEIGHT = {"SD": 480, "HD": 720, "FHD": 1080, "QHD": 1440, "UHD": 2160, "8K": 4320}
# Widths that providers write as if they were heights ("1280p" is a 1280x720 stream).
_WIDTH_AS_HEIGHT = {1280: 720, 1920: 1080, 2560: 1440, 3840: 2160, 7680: 4320}


def _score(label: str, codec: str | None, fps: int | None) -> int:
    # Class dominates: codec and frame rate bonuses together stay below one class step.
    bonus = 0
    if codec in ("HEVC", "AV1"):
        bonus += 4
    if fps is not None and fps >= 50:
        bonus += 2
    return _CLASS_RANK[label] * 10 + bonus


UNKNOWN_QUALITY = Quality(label="", height=None, codec=None, fps=None, score=_score("", None, None))


def _class_for_height(height: int) -> tuple[str, int | None]:
    height = _WIDTH_AS_HEIGHT.get(height, height)
    if height < 144:
        return "SD", None  # "(10p)" and the like: a broken label, certainly not HD
    if height < 650:
        return "SD", height
    if height < 900:
        return "HD", height
    if height < 1300:
        return "FHD", height
    if height < 1800:
        return "QHD", height
    if height < 3000:
        return "UHD", height
    return "8K", height


_QUALITY_RE = re.compile(
    r"(?<![^\W_])(?:"
    r"(?P<res>\d{2,4})\s?p|(?P<inter>480|576|720|1080)i"
    r"|(?P<cls>SD|HD|H\sD|FHD|QHD|UHD|4K|8K|Full\s?HD|Ultra\s?HD)"
    r"|(?P<codec>HEVC|H\.?265|x265|H\.?264|x264|AV1)"
    r"|(?P<fps>\d{2,3})\s?fps"
    r"|HDR(?:10\+?)?|SDR"
    r")(?![^\W_])",
    re.IGNORECASE,
)
_CLASS_ALIASES = {
    "SD": "SD",
    "HD": "HD",
    "H D": "HD",
    "FHD": "FHD",
    "FULLHD": "FHD",
    "FULL HD": "FHD",
    "QHD": "QHD",
    "UHD": "UHD",
    "ULTRAHD": "UHD",
    "ULTRA HD": "UHD",
    "4K": "UHD",
    "8K": "8K",
}


class _QualityAcc:
    __slots__ = ("codec", "fps", "height", "label")

    def __init__(self) -> None:
        self.label = ""
        self.height: int | None = None
        self.codec: str | None = None
        self.fps: int | None = None

    def take_class(self, label: str, height: int | None) -> None:
        # Several labels ("FHD 1080p", "HD (1080p)"): keep the best, an explicit height wins
        # over the class default.
        if not self.label or _CLASS_RANK[label] > _CLASS_RANK[self.label]:
            self.label = label
            self.height = height
        elif label == self.label and self.height is None:
            self.height = height

    def feed(self, m: re.Match[str]) -> None:
        res = m.group("res") or m.group("inter")
        if res is not None:
            label, height = _class_for_height(int(res))
            self.take_class(label, height)
            return
        cls = m.group("cls")
        if cls is not None:
            self.take_class(_CLASS_ALIASES[cls.upper()], None)
            return
        codec = m.group("codec")
        if codec is not None:
            c = codec.upper().replace(".", "")
            if c in ("HEVC", "H265", "X265"):
                self.codec = "HEVC"
            elif c == "AV1":
                self.codec = "AV1"
            elif self.codec is None:
                self.codec = "H264"
            return
        fps = m.group("fps")
        if fps is not None:
            self.fps = int(fps)

    def build(self) -> Quality:
        if not (self.label or self.codec or self.fps):
            return UNKNOWN_QUALITY
        height = self.height
        if height is None and self.label:
            height = _CLASS_HEIGHT[self.label]
        return _quality(self.label, height, self.codec, self.fps)


@lru_cache(maxsize=4096)
def _quality(label: str, height: int | None, codec: str | None, fps: int | None) -> Quality:
    # Shared instances: a 100k-entry playlist has a few dozen distinct qualities.
    return Quality(
        label=label, height=height, codec=codec, fps=fps, score=_score(label, codec, fps)
    )


def quality_from_label(label: str) -> Quality:
    """Quality for a user-typed label: "hd", "720p", "4K", "uhd", "1080", "hevc"."""
    text = unicodedata.normalize("NFKC", label).strip()
    if text.isdigit():
        text += "p"
    acc = _QualityAcc()
    for m in _QUALITY_RE.finditer(text):
        acc.feed(m)
    return acc.build()


def _words(text: str) -> list[str]:
    return text.split()


# --- countries -------------------------------------------------------------------------------

_SEP = r"[:|\-–—▎│┃»•/]"
_COUNTRY_WORD = r"[A-Za-z]{2,3}|united states|united kingdom|[A-Za-z]{4,9}"
# "US:", "US |", "UK -", "|UK|", "| UK |": a code needs a delimiter so "USA Network" stays a name.
_PREFIX_RE = re.compile(
    rf"^\s*(?:\|\s*(?P<p>{_COUNTRY_WORD})\s*\||(?P<c>{_COUNTRY_WORD})\s*{_SEP}+)\s*",
    re.IGNORECASE,
)
_SUFFIX_RE = re.compile(rf"\s+[|\-–—]\s*(?P<c>{_COUNTRY_WORD})\s*$", re.IGNORECASE)


_country = country_code


# --- brackets and noise ----------------------------------------------------------------------

_BRACKET_RE = re.compile(r"\[([^\[\]]*)\]|\(([^()]*)\)|\{([^{}]*)\}")
_NOISE = frozenset(
    [
        "not 24/7",
        "geo-blocked",
        "geo",
        "geo blocked",
        "geoblocked",
        "timeout",
        "backup",
        "offline",
        "test",
        "vip",
        "multi-audio",
        "multi audio",
        "multisub",
        "live",
        "new",
        "alt",
        "mirror",
        "low",
        "high",
    ]
)
_SPACES_RE = re.compile(r"\s+")
_EDGE_JUNK = " \t|:-–—▎│┃»•/*.,;_~"
_DIGIT_SPLIT_RE = re.compile(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)")
_HAS_DIGIT_RE = re.compile(r"\d")
_NON_WORD_RE = re.compile(r"[\W_]+")
_UPPER_RUN_DIGIT_RE = re.compile(r"\b([A-Z]{3,})(\d{1,2})\b")


# --- key normalisation -----------------------------------------------------------------------

_NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
}
_STOP_WORDS = frozenset(["and", "the"])
_CYR_TO_LAT = str.maketrans(
    "АВЕКМНОРСТХаеорсухіјѕ",
    "ABEKMHOPCTXaeopcyxijs",
)
_LAT_TO_CYR = str.maketrans(
    "ABEKMHOPCTXaeopcyx",
    "АВЕКМНОРСТХаеорсух",
)
_CYR_LOOKALIKES = frozenset("АВЕКМНОРСТХаеорсухіјѕ")


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff"


def _fix_mixed_script(token: str) -> str:
    """Map homoglyphs in a token that mixes Latin and Cyrillic letters ("Мir" -> "Mir")."""
    has_lat = has_cyr = False
    cyr_distinct = False
    for ch in token:
        if "a" <= ch <= "z" or "A" <= ch <= "Z":
            has_lat = True
        elif _is_cyrillic(ch):
            has_cyr = True
            if ch not in _CYR_LOOKALIKES:
                cyr_distinct = True
    if not (has_lat and has_cyr):
        return token
    # A letter only Cyrillic has (и, л, ж ...) says the word is Russian with Latin look-alikes
    # typed in; otherwise the Cyrillic letters are the intruders.
    return token.translate(_LAT_TO_CYR if cyr_distinct else _CYR_TO_LAT)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    out: list[str] = []
    for ch in decomposed:
        # Only drop marks on Latin/Greek/Cyrillic bases: Japanese dakuten and Indic vowel
        # signs change the word, and must stay.
        if unicodedata.combining(ch) and out and out[-1] < "\u0530":
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def _tokens(text: str) -> list[str]:
    if not text.isascii():
        text = " ".join(_fix_mixed_script(w) for w in text.split())
        text = _strip_accents(text.casefold())
    else:
        text = text.casefold()
    text = text.replace("+", " plus ").replace("&", " ")
    text = _NON_WORD_RE.sub(" ", text)
    if _HAS_DIGIT_RE.search(text):
        text = _DIGIT_SPLIT_RE.sub(" ", text)
    raw = text.split()
    out: list[str] = []
    single = ""
    for tok in raw:
        tok = _NUMBER_WORDS.get(tok, tok)
        # Runs of single letters are one word spelled out: "a e" (A & E, A.E.) -> "ae".
        if len(tok) == 1 and tok.isalpha():
            single += tok
            continue
        if single:
            out.append(single)
            single = ""
        out.append(tok)
    if single:
        out.append(single)
    if len(out) > 1:
        kept = [t for t in out if t not in _STOP_WORDS]
        if kept:
            out = kept
    return out


def normalize(text: str) -> str:
    """Casefold, strip accents, collapse punctuation and spaces; for keys and for search."""
    return " ".join(_tokens(text))


# --- regions and variants --------------------------------------------------------------------

_REGION_NAMES = [
    "East",
    "West",
    "Pacific",
    "Mountain",
    "Central",
    "Atlantic",
    "Eastern",
    "Western",
    "Ontario",
    "Quebec",
    "Toronto",
    "Montreal",
    "Vancouver",
    "Calgary",
    "Edmonton",
    "Ottawa",
    "Winnipeg",
    "Halifax",
    "Regina",
    "Saskatoon",
    "North East",
    "North West",
    "South East",
    "South West",
    "East Midlands",
    "West Midlands",
    "Middle East",
    "Northern Ireland",
    "Scotland",
    "Wales",
    "London",
    "Yorkshire",
    "East Yorkshire",
    "Channel Islands",
]
_REGIONS: dict[tuple[str, ...], str] = {tuple(r.casefold().split()): r for r in _REGION_NAMES}
_REGION_ALIASES: dict[tuple[str, ...], str] = {("eastern",): "East", ("western",): "West"}
_REGIONS.update(_REGION_ALIASES)
_REGION_LENGTHS = sorted({len(k) for k in _REGIONS}, reverse=True)

_VARIANT_WORDS = {
    "plus": "+",
    "extra": "Extra",
    "xtra": "Extra",
    "signature": "Signature",
    "news": "News",
    "family": "Family",
    "comedy": "Comedy",
    "max": "Max",
    "premium": "Premium",
    "kids": "Kids",
    "classic": "Classic",
    "classics": "Classic",
}


def _split_region(tokens: list[str]) -> tuple[list[str], str | None]:
    for n in _REGION_LENGTHS:
        if len(tokens) > n:
            region = _REGIONS.get(tuple(tokens[-n:]))
            if region is not None:
                return tokens[:-n], region
    return tokens, None


def _variant(tokens: list[str]) -> str | None:
    if len(tokens) < 2:
        return None
    last = tokens[-1]
    if last.isdigit():
        if tokens[-2] == "plus":
            return "+" + last  # timeshift "+1"
        return last
    return _VARIANT_WORDS.get(last)


# --- display ---------------------------------------------------------------------------------

_ACRONYMS = frozenset(
    _words(
        """ESPN ESPNU HBO CNN BBC TNT AMC TLC MTV ITV NBC CBS ABC CBC CTV TSN RDS TVA CNBC MSNBC HGTV
    TBS USA WWE NFL NBA MLB NHL UFC PBS VH1 CMT TCM FX FXX BET AXN ZDF ARD RTL NHK RAI TF1 TVE
    RTVE RTP SIC TVI TRT ATV TVP TVN NTV EWTN IFC SNY TBN CNA DAZN BFM TMC APTN CPAC NASA SEC ACC
    BTN MSG NESN RTE TG4 SVT NRK YLE DR TV HD UHD FHD SD SBS NBA AXS OWN ION CW MGM"""
    )
)
_VOWELS = frozenset("AEIOUYАЕЁИОУЫЭЮЯІЇЄ")
_SMALL_WORDS = frozenset(["OF", "DE", "LA", "EL", "IN", "ON", "TO", "AT", "BY", "DU", "DA", "DI"])


def _title_word(word: str) -> str:
    if word.isalpha():
        letters = word
    else:
        if any(ch.isdigit() for ch in word):
            return word  # TF1, VH1, 24/7
        letters = "".join(ch for ch in word if ch.isalpha())
    if not letters.isascii():
        letters = "".join(ch for ch in letters if ch.lower() != ch.upper())
    if not letters:
        return word
    upper = letters.upper()
    if upper in _ACRONYMS:
        return word
    if len(letters) <= 2 and upper not in _SMALL_WORDS:
        return word
    if len(letters) <= 5 and _VOWELS.isdisjoint(upper):
        return word  # BBC, CNN, HGTV: no vowel means it is read letter by letter
    # Capitalise the first letter, lower the rest (keeps leading punctuation such as "(").
    for i, ch in enumerate(word):
        if ch.isalpha():
            return word[:i] + ch.upper() + word[i + 1 :].lower()
    return word


def _display(text: str) -> str:
    # All cased letters in capitals is shouting; a lone short word ("TVO", "RAI") is a brand.
    if text.isupper() and (" " in text or len(text) > 5):
        text = " ".join(_title_word(w) for w in text.split(" "))
    if _HAS_DIGIT_RE.search(text):
        text = _UPPER_RUN_DIGIT_RE.sub(r"\1 \2", text)
    return text


def _strip_suffix_country(text: str, country: str | None) -> tuple[str, str | None]:
    """Read "ATV TR" / "wedotv Auta HEVC PL" as the country; keep quality words in place."""
    words = text.split()
    if len(words) < 2:
        return text, country
    quality = frozenset(
        i
        for i, w in enumerate(words)
        if _QUALITY_RE.fullmatch(w)
        or (w.casefold() == "fps" and i > 0 and words[i - 1].isdigit())
        or (w.isdigit() and i + 1 < len(words) and words[i + 1].casefold() == "fps")
    )
    found = suffix_country(words, is_quality=quality)
    if found is None:
        return text, country
    start, end, code = found
    if country is not None and country != code:
        return text, country  # "UK: X PL" says two things; leave the name as written
    return " ".join(words[:start] + words[end:]), code


# --- parse -----------------------------------------------------------------------------------


@lru_cache(maxsize=262_144)
def parse_name(name: str) -> ParsedName:
    """Split a provider's channel name into display name, match key, identity and quality."""
    text = name
    if not text.isascii():
        # Tags glued to the name ("ESPNᴴᴰ") become words before NFKC would glue them for good.
        text = fold_styled(text)
    text = text.replace("_", " ")
    country: str | None = None
    tags: list[str] = []
    acc = _QualityAcc()

    m = _PREFIX_RE.match(text)
    if m is not None:
        c = _country(m.group("p") or m.group("c"))
        if c is not None:
            country = c
            text = text[m.end() :]

    if "[" in text or "(" in text or "{" in text:

        def bracket(bm: re.Match[str]) -> str:
            nonlocal country
            square = bm.group(1) is not None
            inner = (bm.group(1) if square else bm.group(2) or bm.group(3) or "").strip()
            c = _country(inner) if len(inner) <= 14 else None
            if c is not None:
                if country is None:
                    country = c
                return " "
            if inner and not _QUALITY_RE.sub("", inner).strip(" ,/|-"):
                for qm in _QUALITY_RE.finditer(inner):
                    acc.feed(qm)
                return " "
            if square or inner.casefold() in _NOISE or not inner:
                if inner:
                    tags.append(inner)
                return " "
            return f" {inner} "

        text = _BRACKET_RE.sub(bracket, text)

    if country is None:
        sm = _SUFFIX_RE.search(text)
        if sm is not None:
            c = _country(sm.group("c"))
            if c is not None:
                country = c
                text = text[: sm.start()]
    text, country = _strip_suffix_country(text, country)

    def quality(qm: re.Match[str]) -> str:
        acc.feed(qm)
        return " "

    stripped = _QUALITY_RE.sub(quality, text)
    stripped = _SPACES_RE.sub(" ", stripped).strip(_EDGE_JUNK)
    if not stripped:
        # The whole name was quality tokens ("HD", "4K"): the tokens are the name.
        stripped = _SPACES_RE.sub(" ", text).strip(_EDGE_JUNK) or name.strip()
    display = _display(stripped)

    tokens = _tokens(display)
    if not tokens:
        # Names of pure punctuation/symbols: keep them distinguishable rather than empty.
        tokens = [display.casefold()] if display else [name.strip().casefold() or "?"]
    base, region = _split_region(tokens)
    return ParsedName(
        original=name,
        display=display,
        key=" ".join(base),
        country=country,
        region=region,
        variant=_variant(base),
        quality=acc.build(),
        tags=tuple(tags),
        language=language_of(base),
    )
