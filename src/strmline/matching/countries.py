"""Country codes and names as providers write them, and a country written after the name.

Countries are upper-case two-letter codes. The United Kingdom is ``UK`` (not ISO ``GB``),
because that is what IPTV providers write; ``GB``/``GBR``/``England`` map to ``UK`` and
``USA``/``United States`` map to ``US``.
"""

from __future__ import annotations

__all__ = ["country_code", "suffix_country"]


def _words(text: str) -> list[str]:
    return text.split()


_COUNTRY_CODES = _words(
    "US UK CA MX BR AR CL CO PE VE EC UY PY BO CR DO PR PA GT HN SV NI CU "
    "FR DE ES IT PT NL BE LU CH AT IE PL CZ SK HU RO BG GR TR RU UA BY "
    "SE NO DK FI IS EE LV LT RS HR SI BA ME MK AL XK CY MT "
    "IN PK BD LK NP AF IR IQ IL PS JO LB SY SA AE QA KW BH OM YE EG MA DZ TN LY SD "
    "NG GH KE ET ZA SN CI CM "
    "CN HK TW JP KR KP PH ID MY SG TH VN KH AU NZ"
)
_COUNTRY_ALIASES = {
    "USA": "US",
    "UNITED STATES": "US",
    "AMERICA": "US",
    "GB": "UK",
    "GBR": "UK",
    "UNITED KINGDOM": "UK",
    "ENGLAND": "UK",
    "CAN": "CA",
    "CANADA": "CA",
    "FRA": "FR",
    "FRANCE": "FR",
    "GER": "DE",
    "DEU": "DE",
    "GERMANY": "DE",
    "ESP": "ES",
    "SPAIN": "ES",
    "ITA": "IT",
    "ITALY": "IT",
    "POR": "PT",
    "PRT": "PT",
    "PORTUGAL": "PT",
    "BRA": "BR",
    "BRAZIL": "BR",
    "MEX": "MX",
    "MEXICO": "MX",
    "ARG": "AR",
    "NLD": "NL",
    "NED": "NL",
    "AUS": "AU",
    "AUSTRALIA": "AU",
    "IND": "IN",
    "INDIA": "IN",
    "RUS": "RU",
    "TUR": "TR",
    "POL": "PL",
    "SWE": "SE",
    "IRL": "IE",
}
# Country names that, written after a channel's name, say which country's version it is
# ("MTV India", "Discovery Channel Polska", "Fox Sports Argentina"). "America" is left out:
# "BBC America" and "Al Jazeera America" are channels of their own, not US versions; so is
# "England": "BBC Two England" is a nation's feed like "BBC Two Wales".
_SUFFIX_NAMES = {
    "UNITED STATES": "US",
    "UNITED KINGDOM": "UK",
    "CANADA": "CA",
    "FRANCE": "FR",
    "GERMANY": "DE",
    "DEUTSCHLAND": "DE",
    "SPAIN": "ES",
    "ESPANA": "ES",
    "ITALY": "IT",
    "ITALIA": "IT",
    "PORTUGAL": "PT",
    "BRAZIL": "BR",
    "BRASIL": "BR",
    "MEXICO": "MX",
    "ARGENTINA": "AR",
    "CHILE": "CL",
    "COLOMBIA": "CO",
    "PERU": "PE",
    "VENEZUELA": "VE",
    "NETHERLANDS": "NL",
    "HOLLAND": "NL",
    "BELGIUM": "BE",
    "AUSTRIA": "AT",
    "SWITZERLAND": "CH",
    "IRELAND": "IE",
    "POLAND": "PL",
    "POLSKA": "PL",
    "CZECHIA": "CZ",
    "CZECH REPUBLIC": "CZ",
    "SLOVAKIA": "SK",
    "HUNGARY": "HU",
    "ROMANIA": "RO",
    "BULGARIA": "BG",
    "GREECE": "GR",
    "TURKEY": "TR",
    "TURKIYE": "TR",
    "RUSSIA": "RU",
    "UKRAINE": "UA",
    "SWEDEN": "SE",
    "NORWAY": "NO",
    "DENMARK": "DK",
    "FINLAND": "FI",
    "SERBIA": "RS",
    "CROATIA": "HR",
    "SLOVENIA": "SI",
    "ISRAEL": "IL",
    "EGYPT": "EG",
    "INDIA": "IN",
    "PAKISTAN": "PK",
    "NIGERIA": "NG",
    "SOUTH AFRICA": "ZA",
    "CHINA": "CN",
    "JAPAN": "JP",
    "KOREA": "KR",
    "PHILIPPINES": "PH",
    "INDONESIA": "ID",
    "MALAYSIA": "MY",
    "THAILAND": "TH",
    "VIETNAM": "VN",
    "AUSTRALIA": "AU",
    "NEW ZEALAND": "NZ",
}
_COUNTRIES: dict[str, str] = {c: c for c in _COUNTRY_CODES}
_COUNTRIES.update(_COUNTRY_ALIASES)
_COUNTRIES.update(_SUFFIX_NAMES)

# Codes that are also everyday words ("... IN", "IT", "NO", "ME", "CAN"): in a name written
# all in capitals they are only read as a country after a quality tag or a separator.
_AMBIGUOUS = frozenset(_words("IN IT IS AT BY ME NO DO ID AL CO MA PA MY CAN POR"))
# Codes that are also US, Brazilian, Canadian or Australian state codes ("KTLA 5 Los Angeles
# CA", "Record TV RS", "TVE RS"): only read as a country after a quality tag or a separator
# ("Sportsnet One 720p CA", "TSN | CA").
_STATES = frozenset(_words("AL AR CA CO DE ID IL IN MA ME MT PA TN BA ES PE PR RO RS SE NL SK SA"))
# A country name after one of these is part of a longer place ("Northern Ireland",
# "North America & Canada").
_JOINERS = frozenset(_words("north northern northen south southern east west new & and y et und e"))
_SUFFIX_CODES = frozenset(_COUNTRY_CODES) | frozenset(k for k in _COUNTRY_ALIASES if len(k) <= 3)
# A name that is only one of these words plus a country is the country's channel
# ("Radio Canada", "TV Polska", "Canal Colombia"): the country word is the name.
_GENERIC = frozenset(
    _words(
        "tv tele television televizija televisao radio canal channel kanal rede red "
        "canale cine cinema fm the of de la el"
    )
)


def country_code(word: str) -> str | None:
    """The canonical code for a country code or name ("usa" -> "US", "GB" -> "UK"), or None."""
    return _COUNTRIES.get(word.strip().upper())


def suffix_country(words: list[str], *, is_quality: frozenset[int]) -> tuple[int, int, str] | None:
    """A country written as the last word(s) of a name, before any trailing quality tags.

    ``words`` is the name split on whitespace, ``is_quality`` the positions that are quality
    tags ("HEVC", "720p", "HD"). Returns (start, end, code) of the country words, or None.
    "ATV TR" -> (1, 2, "TR"); "wedotv Auta HEVC PL" -> (3, 4, "PL"); "Sportsnet One 720p CA"
    -> (3, 4, "CA"); "TV3", "BBC One", "ITV", "Radio Canada", "BBC America" -> None.

    Codes must be written in capitals (a lower-case "in"/"de" is a word); names may be
    written in any case. At least one word that is not generic must stay before it.
    """
    end = len(words)
    while end > 0 and (end - 1 in is_quality or not any(ch.isalnum() for ch in words[end - 1])):
        end -= 1
    if end < 2:
        return None
    for n in (2, 1):
        start = end - n
        if start < 1:
            continue
        span = words[start:end]
        text = " ".join(span)
        code: str | None
        if n == 1 and text.isascii() and text.isupper() and text in _SUFFIX_CODES:
            code = _COUNTRIES[text]
            if text in _STATES and not _tagged(words, start, is_quality):
                continue
            if text in _AMBIGUOUS and not _stands_out(words, start, is_quality):
                continue
        else:
            code = _SUFFIX_NAMES.get(text.upper())
        if code is None or words[start - 1].casefold() in _JOINERS:
            continue
        rest = [w.casefold() for i, w in enumerate(words[:start]) if i not in is_quality]
        rest = [w for w in rest if any(ch.isalnum() for ch in w)]
        if not rest or all(w in _GENERIC for w in rest):
            return None
        return start, end, code
    return None


def _tagged(words: list[str], start: int, is_quality: frozenset[int]) -> bool:
    # Right after a quality tag or a separator: the provider's decoration, not the name.
    return start - 1 in is_quality or not any(ch.isalnum() for ch in words[start - 1])


def _stands_out(words: list[str], start: int, is_quality: frozenset[int]) -> bool:
    if _tagged(words, start, is_quality):
        return True
    # In a name with lower-case letters, a word in capitals is a code, not a word.
    return any(ch.islower() for w in words[:start] for ch in w)
