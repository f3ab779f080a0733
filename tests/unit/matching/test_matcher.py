from __future__ import annotations

import random

import pytest

from strmline.matching import ChannelIndex, MatchItem, MergeRule, cluster, parse_name

# (a, b, same channel?, why) - each pair is clustered on its own.
PAIRS: list[tuple[str, str, bool, str]] = [
    # regions
    ("HBO East", "HBO West", False, "different regional feeds"),
    ("HBO East", "HBO East HD", True, "quality only"),
    ("HBO", "HBO East", False, "missing region is a different feed"),
    ("HBO Eastern", "HBO East", True, "region spelling"),
    ("Starz Pacific", "Starz Mountain", False, "time-zone feeds"),
    ("CBC Toronto", "CBC Toronto HD", True, "quality only"),
    ("CBC Toronto", "CBC Vancouver", False, "different cities"),
    ("CBC Toronto", "CBC Ontario", False, "conservative: city vs province"),
    ("BBC One Scotland", "BBC One Wales", False, "nations"),
    ("BBC One North East", "BBC One East", False, "multi-word region"),
    # numbers
    ("BBC One", "BBC Two", False, "numbered"),
    ("BBC One", "BBC1", True, "number word vs digit"),
    ("BBC One HD", "UK: BBC 1", True, "number word, prefix, quality"),
    ("ESPN 2", "ESPN2", True, "glued number"),
    ("ESPN", "ESPN 2", False, "numbered"),
    ("ESPN 2", "ESPN 3", False, "numbered"),
    ("Channel 4", "Channel 5", False, "numbered"),
    ("Fox Sports 1", "Fox Sports 2", False, "numbered"),
    ("Sky Sports F1", "Sky Sports F2", False, "letter+digit"),
    ("ITV 2", "ITV2 HD", True, "glued number with quality"),
    ("ITV", "ITV +1", False, "timeshift"),
    ("ITV +1", "ITV +2", False, "timeshift hours"),
    ("Мир +2", "Мир +3", False, "Russian timeshift"),
    ("CCTV-1综合", "CCTV-2财经", False, "CJK numbered"),
    # plus channels and variants
    ("ESPN+", "ESPN", False, "plus channel"),
    ("ESPN+", "ESPN Plus", True, "plus spelled out"),
    ("Sky Sports+", "Sky Sports", False, "plus channel"),
    ("Sky Sports+", "UK: SKY SPORTS+ HD", True, "plus with prefix and case"),
    ("Canal+", "Canal Plus", True, "plus spelled out"),
    ("ESPNews", "ESPN", False, "different network"),
    ("ESPNews", "ESPN News", False, "conservative: one word vs two"),
    ("HBO", "HBO Signature", False, "variant"),
    ("HBO", "HBO 2", False, "numbered variant"),
    ("HBO Signature", "HBO Signature HD", True, "quality only"),
    ("HBO Family", "HBO Comedy", False, "variants"),
    ("Sky Cinema Extra", "Sky Cinema", False, "extra variant"),
    # prefixes
    ("US: ESPN", "ESPN", True, "country on one side only"),
    ("US: ESPN", "|US| ESPN", True, "prefix styles"),
    ("US: ESPN", "USA - ESPN", True, "USA alias"),
    ("[CA] CTV", "CA: CTV HD", True, "bracket prefix"),
    ("UK - Dave", "GB: Dave", True, "GB alias"),
    ("DE: Das Erste", "Das Erste HD", True, "DE prefix"),
    ("(FR) TF1", "FR| TF1 FHD", True, "paren prefix"),
    ("US: Fox", "UK: Fox", False, "different countries"),
    ("DE: Sport1", "AT: Sport1", False, "different countries"),
    ("USA Network", "US: Network", False, "USA is part of the name"),
    # quality tags
    ("ESPN 4K", "ESPN FHD", True, "quality"),
    ("ESPNᴴᴰ", "ESPN", True, "superscript HD"),
    ("ESPN ᵁᴴᴰ", "ESPN HEVC", True, "superscript UHD and codec"),
    ("ESPN (1080p)", "ESPN 720p", True, "resolutions"),
    ("ESPN [Geo-blocked]", "ESPN [Not 24/7]", True, "noise tags"),
    ("ESPN (backup)", "ESPN", True, "backup tag"),
    # spacing / case / punctuation
    ("A&E", "A & E", True, "ampersand spacing"),
    ("A&E", "AE", True, "ampersand dropped"),
    ("A&E HD", "a & e", True, "case"),
    ("Nick Jr.", "NICK JR", True, "punctuation and case"),
    ("E! Entertainment", "E Entertainment", True, "bang"),
    ("Télé-Québec", "Tele Quebec", True, "accents and hyphen"),
    ("Sky  Sports   News", "Sky Sports News", True, "extra spaces"),
    # fuzzy (typos) and its limits
    ("Sky Sports Main Event", "Sky Sprots Main Event", True, "typo"),
    ("Discovery Science", "Discovery Scince", True, "typo"),
    ("Blaze Gold", "Blaze Golf", False, "different short words"),
    ("Vertex Prime", "Vertex Crime", False, "different first letters"),
    ("Nick Jr", "Nick Jr Too", False, "extra word"),
    ("Cartoon Network", "Cartoonito", False, "different channel"),
    # non-Latin
    ("Россия 24", "РОССИЯ 24 HD", True, "Cyrillic case and quality"),
    ("Россия 1", "Россия 24", False, "Cyrillic numbers"),
    ("Мir +3", "Mir +3", True, "Cyrillic lookalike in Latin word"),
    ("東方衛視", "東方衛視 HD", True, "CJK with quality"),
    ("東方衛視", "浙江衛視", False, "different CJK channels"),
]


@pytest.mark.parametrize(("a", "b", "same", "why"), PAIRS, ids=[f"{a}|{b}" for a, b, _, _ in PAIRS])
def test_pairs(a: str, b: str, same: bool, why: str) -> None:
    result = cluster([MatchItem(1, a), MatchItem(2, b)])
    assert (result[0].cluster == result[1].cluster) is same, why


def test_table_size() -> None:
    assert len(PAIRS) >= 60


def _partition(result) -> set[frozenset[object]]:
    groups: dict[int, set[object]] = {}
    for c in result:
        groups.setdefault(c.cluster, set()).add(c.item_id)
    return {frozenset(g) for g in groups.values()}


def test_order_independence() -> None:
    names = [a for a, _, _, _ in PAIRS] + [b for _, b, _, _ in PAIRS]
    names += ["Fox", "US: Fox HD", "UK: Fox", "Fox News", "Sky Sprots Main Event", "ESPN"]
    items = [MatchItem(i, n, f"tvg{i % 7}" if i % 3 == 0 else None) for i, n in enumerate(names)]
    reference = cluster(items)
    expected = {c.item_id: c.cluster for c in reference}
    rng = random.Random(42)
    for _ in range(8):
        shuffled = items[:]
        rng.shuffle(shuffled)
        result = cluster(shuffled)
        assert [c.item_id for c in result] == [i.id for i in shuffled]  # input order kept
        # Same partition and even the same canonical cluster numbers.
        assert {c.item_id: c.cluster for c in result} == expected


def test_country_less_entry_is_not_guessed() -> None:
    result = cluster([MatchItem(1, "US: Fox"), MatchItem(2, "UK: Fox"), MatchItem(3, "Fox HD")])
    clusters = [c.cluster for c in result]
    assert len(set(clusters)) == 3
    assert "ambiguous" in result[2].assignment.reason


def test_country_less_entry_joins_single_country() -> None:
    result = cluster([MatchItem(1, "US: Fox"), MatchItem(2, "Fox HD")])
    assert result[0].cluster == result[1].cluster
    assert result[1].assignment.method == "exact"


def test_tvg_id_disambiguates_and_gives_country() -> None:
    items = [
        MatchItem(1, "US: Fox", "Fox.us"),
        MatchItem(2, "UK: Fox", "Fox.uk"),
        MatchItem(3, "Fox HD", "FOX.uk"),
    ]
    result = cluster(items)
    assert result[2].cluster == result[1].cluster


def test_tvg_id_merges_different_names() -> None:
    result = cluster([MatchItem(1, "Das Erste", "DasErste.de"), MatchItem(2, "ARD", "DasErste.de")])
    assert result[0].cluster == result[1].cluster
    assert {c.assignment.method for c in result} == {"new", "tvg_id"}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("HBO East", "HBO West"),
        ("BBC One", "BBC Two"),
        ("ITV", "ITV +1"),
        ("ABC 7 New York", "ABC 7 Chicago"),
        ("US: Fox", "UK: Fox"),
    ],
)
def test_shared_tvg_id_does_not_merge_different_identities(a: str, b: str) -> None:
    result = cluster([MatchItem(1, a, "Shared.us"), MatchItem(2, b, "Shared.us")])
    assert result[0].cluster != result[1].cluster


def test_assignment_reasons() -> None:
    index = ChannelIndex()
    index.add("espn", parse_name("US: ESPN"), "ESPN.us")
    index.add("sky", parse_name("Sky Sports Main Event"))
    exact = index.match(parse_name("ESPN HD"))
    assert (exact.ref, exact.method, exact.confidence) == ("espn", "exact", 100)
    assert exact.reason == "same name key 'espn'"
    tvg = index.match(parse_name("ESPN Deportes"), "espn.US")
    assert tvg.method == "new"  # same id, different channel name sharing the brand
    fuzzy = index.match(parse_name("Sky Sprots Main Event"))
    assert (fuzzy.ref, fuzzy.method) == ("sky", "fuzzy")
    assert fuzzy.confidence >= 90 and "sky sports main event" in fuzzy.reason
    new = index.match(parse_name("CNN"))
    assert (new.ref, new.method) == (None, "new")
    assert len(index) == 2


def test_match_does_not_mutate() -> None:
    index = ChannelIndex()
    index.add(1, parse_name("ESPN"))
    index.match(parse_name("CNN"), "CNN.us")
    assert len(index) == 1
    assert index.match(parse_name("CNN")).method == "new"


def test_index_add_several_names_per_ref() -> None:
    index = ChannelIndex()
    index.add(7, parse_name("Das Erste"), "DasErste.de")
    index.add(7, parse_name("ARD"))
    assert index.match(parse_name("ARD HD")).ref == 7
    assert index.match(parse_name("DE: Das Erste")).ref == 7
    assert len(index) == 1


def test_threshold() -> None:
    items = [MatchItem(1, "Discovery Science"), MatchItem(2, "Discovery Scince")]
    assert cluster(items)[0].cluster == cluster(items)[1].cluster
    strict = cluster(items, threshold=99)
    assert strict[0].cluster != strict[1].cluster


def test_rule_always() -> None:
    rule = MergeRule("always", "Das Erste*", "ARD*")
    result = cluster([MatchItem(1, "Das Erste HD"), MatchItem(2, "ARD")], rules=[rule])
    assert result[0].cluster == result[1].cluster
    joined = [c for c in result if c.assignment.method == "rule"]
    assert joined and joined[0].assignment.reason == "rule always: 'Das Erste*' ~ 'ARD*'"


def test_rule_always_beats_identity_conflict() -> None:
    rule = MergeRule("always", "re:^US: Fox", "re:^UK: Fox")
    result = cluster([MatchItem(1, "US: Fox"), MatchItem(2, "UK: Fox")], rules=[rule])
    assert result[0].cluster == result[1].cluster


def test_rule_never_beats_exact() -> None:
    rule = MergeRule("never", "*backup*", "*")
    items = [MatchItem(1, "ESPN"), MatchItem(2, "ESPN (backup)"), MatchItem(3, "ESPN HD")]
    result = cluster(items, rules=[rule])
    assert result[0].cluster == result[2].cluster
    assert result[1].cluster != result[0].cluster


def test_rule_never_with_overlapping_patterns() -> None:
    # "HBO 2" matches both patterns; it must stay apart from "HBO" yet join other "HBO 2"s.
    rule = MergeRule("never", "HBO*", "HBO 2*")
    items = [MatchItem(1, "HBO 2"), MatchItem(2, "HBO 2 HD"), MatchItem(3, "HBO")]
    result = cluster(items, rules=[rule])
    assert result[0].cluster == result[1].cluster != result[2].cluster


def test_rule_never_blocks_fuzzy_and_tvg() -> None:
    rules = [MergeRule("never", "re:sprots", "Sky Sports*")]
    items = [
        MatchItem(1, "Sky Sports Main Event", "SSME.uk"),
        MatchItem(2, "Sky Sprots Main Event", "SSME.uk"),
    ]
    result = cluster(items, rules=rules)
    assert result[0].cluster != result[1].cluster


def test_rule_validation() -> None:
    with pytest.raises(ValueError):
        MergeRule("sometimes", "a", "b")  # type: ignore[arg-type]
    assert MergeRule("never", "a*", "b") == MergeRule("never", "a*", "b")


def test_cluster_uses_given_parsed() -> None:
    parsed = parse_name("ESPN")
    result = cluster([MatchItem(1, "whatever", parsed=parsed), MatchItem(2, "ESPN HD")])
    assert result[0].cluster == result[1].cluster


def test_cluster_numbers_are_dense_from_zero() -> None:
    result = cluster([MatchItem(i, n) for i, n in enumerate(["CNN", "ESPN", "CNN HD", "BBC One"])])
    assert sorted({c.cluster for c in result}) == [0, 1, 2]


# (name a, tvg-id a, name b, tvg-id b, same channel?, why): tvg-ids as evidence of country.
TVG_PAIRS: list[tuple[str, str | None, str, str | None, bool, str]] = [
    ("AMG TV", "AMGTV.us", "Amga TV", "AmgaTV.am", False, "fuzzy across tvg-id countries"),
    ("US: AMG TV", "AMGTV.us", "US: Amga TV", "AmgaTV.am", False, "tvg-ids disagree on country"),
    ("Amga TV", "AmgaTV.am", "Amga TV HD", "AmgaTV.am", True, "unlisted country code, same id"),
    ("Amga TV", "AmgaTV.am", "US: Amga TV", None, False, "unlisted tvg country vs name country"),
    ("Discovery Science", "DiscoveryScience.us", "Discovery Scince", None, True, "typo, one id"),
    ("Discovery Science", "DiscoveryScience.us", "Discovery Scince", "Disc.us", True, "same cc"),
    ("Discovery Science", "DiscoveryScience.us", "Discovery Scince", "X.ca", False, "cc differs"),
    ("AMG TV", "AMGTV.us", "AMG TV HD", "AMGTV.us@HD", True, "same id, quality feed"),
    ("Das Erste", "DasErste.de", "ARD", "DasErste.de", True, "alias by tvg-id"),
]


@pytest.mark.parametrize(
    ("a", "ta", "b", "tb", "same", "why"), TVG_PAIRS, ids=[f"{p[0]}|{p[2]}" for p in TVG_PAIRS]
)
def test_tvg_pairs(a: str, ta: str | None, b: str, tb: str | None, same: bool, why: str) -> None:
    result = cluster([MatchItem(1, a, ta), MatchItem(2, b, tb)])
    assert (result[0].cluster == result[1].cluster) is same, why


def test_index_remembers_what_joined_a_channel() -> None:
    """The index a channel is built up in holds every joined name's country and tvg-id."""
    index = ChannelIndex()
    index.add(1, parse_name("Discovery Channel"))
    index.add(1, parse_name("NL: Discovery Channel FHD"), "DiscoveryChannel.nl")
    # Joined as NL: another country's version is not this channel.
    assert index.match(parse_name("PL: Discovery Channel")).ref is None
    # The joined entry's tvg-id now identifies it.
    hit = index.match(parse_name("Discovery NL"), "DiscoveryChannel.nl")
    assert hit.ref == 1 and hit.method == "tvg_id"
