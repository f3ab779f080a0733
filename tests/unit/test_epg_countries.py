"""Guide matching keeps to countries: tables of must-link and must-not-link pairs.

Each case is a guide (xmltv id → display name) and a channel (name, tvg-id, country column);
the guide channel the matcher picks, or none. Decided in memory by the same index the
database path uses (``epg_match.match_channels`` feeds it rows and writes its answers).
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from strmline.services import epg_match

THRESHOLD = 88  # the default epg.fuzzy_threshold


class Row(NamedTuple):
    id: int
    xmltv_id: str
    display_names: list[str]
    has_programmes: bool = True


def index_of(guide: dict[str, str]) -> tuple[epg_match.GuideIndex, dict[int, str]]:
    rows = [Row(i, xmltv_id, [name]) for i, (xmltv_id, name) in enumerate(guide.items(), 1)]
    return epg_match.GuideIndex(rows), {r.id: r.xmltv_id for r in rows}


def link(
    guide: dict[str, str], name: str, tvg_id: str | None = None, country: str | None = None
) -> str | None:
    index, ids = index_of(guide)
    found = index.match(
        tvg_id,
        epg_match.name_identity(name)[0],
        THRESHOLD,
        epg_match.channel_countries(name, tvg_id, country),
    )
    return ids[found[0]] if found else None


UK_TV3 = {"TV3.uk": "TV3"}
BOTH_TV3 = {"TV3.uk": "TV3", "TV3.es": "TV3"}
MTV = {"MTV.uk": "MTV", "MTVIndia.in": "MTV India"}

MUST_LINK = [
    # guide, (channel name, tvg-id, country column), the guide channel it gets
    ({"BBCOne.uk": "BBC One"}, ("UK: BBC One HD", None, None), "BBCOne.uk"),
    ({"BBCOne.uk": "BBC One"}, ("BBC One", None, None), "BBCOne.uk"),  # no country: no conflict
    ({"BBCOne.uk": "BBC 1"}, ("BBC ONE ᴴᴰ", None, "UK"), "BBCOne.uk"),  # the id names it too
    (BOTH_TV3, ("ES: TV3", None, None), "TV3.es"),  # the channel's own country first
    (BOTH_TV3, ("TV3", None, "ES"), "TV3.es"),
    (BOTH_TV3, ("TV3 HD", "TV3.es", None), "TV3.es"),
    (BOTH_TV3, ("UK: TV3", None, None), "TV3.uk"),
    (UK_TV3, ("TV3 ES", "TV3.uk", None), "TV3.uk"),  # a tvg-id equal to a guide id decides
    (MTV, ("MTV India", None, None), "MTVIndia.in"),
    (MTV, ("IN: MTV India", None, None), "MTVIndia.in"),
    (MTV, ("UK: MTV", None, None), "MTV.uk"),
    ({"ATV.tr": "ATV"}, ("ATV TR", None, None), "ATV.tr"),
    ({"DemainTV.fr": "Demain TV"}, ("FR: Demain TV", None, None), "DemainTV.fr"),
    ({"DemainTV.fr": "Demain TV"}, ("Demain TV", "DemainTV.fr", None), "DemainTV.fr"),
    # Fuzzy within one country, or where a side names none.
    ({"OverlapTest.uk": "Overlap Test"}, ("UK: Overlap Tests", None, None), "OverlapTest.uk"),
    (
        {"DiscoveryScience.us": "Discovery Science"},
        ("Discovery Scince", None, None),
        "DiscoveryScience.us",
    ),
    ({"Science.test": "Discovery Science"}, ("US: Discovery Scince", None, None), "Science.test"),
    ({"ChannelS.uk": "Channel S"}, ("Channel S", None, None), "ChannelS.uk"),
    # A feed naming a country: Show.us@UK is the UK feed.
    (
        {"Bounty.uk": "Dog the Bounty Hunter"},
        ("Dog the Bounty Hunter", "DogtheBountyHunter.us@UK", None),
        "Bounty.uk",
    ),
]

MUST_NOT_LINK = [
    ({"DemainTV.fr": "Demain TV"}, ("Demais TV", "DemaisTV.br", None)),
    ({"DemainTV.fr": "Demain TV"}, ("BR: Demais TV", None, None)),
    ({"DemainTV.fr": "Demain TV"}, ("Demais TV", None, "BR")),
    (UK_TV3, ("TV3", "TV3.es", None)),
    (UK_TV3, ("ES: TV3", None, None)),
    (UK_TV3, ("TV3", None, "ES")),
    ({"MTV.uk": "MTV"}, ("MTV India", None, None)),
    ({"MTV.uk": "MTV"}, ("MTV", "MTVIndia.in", None)),
    ({"ChannelS.uk": "Channel S"}, ("Channel Y", None, None)),
    ({"ChannelS.uk": "Channel S"}, ("UK: Channel Y", None, None)),
    ({"AmgaTV.am": "Amga TV"}, ("AMG TV", "AMGTV.us", None)),
    (
        {"Bounty.us": "Dog the Bounty Hunter"},
        ("Dog the Bounty Hunter", "DogtheBountyHunter.us@UK", None),
    ),
    ({"Channel2.uk": "Channel 2"}, ("Channel 3", None, None)),
]


@pytest.mark.parametrize(("guide", "channel", "wanted"), MUST_LINK)
def test_must_link(
    guide: dict[str, str], channel: tuple[str, str | None, str | None], wanted: str
) -> None:
    assert link(guide, *channel) == wanted


@pytest.mark.parametrize(("guide", "channel"), MUST_NOT_LINK)
def test_must_not_link(guide: dict[str, str], channel: tuple[str, str | None, str | None]) -> None:
    assert link(guide, *channel) is None


@pytest.mark.parametrize(
    ("xmltv_id", "country"),
    [
        ("BBCOne.uk", "UK"),
        ("BBCOne.gb", "UK"),
        ("TV3.es", "ES"),
        ("AmgaTV.am", "AM"),
        ("DogtheBountyHunter.us@UK", "UK"),
        ("BBCOne.uk@SD", "UK"),
        ("BBCOne.uk@HD", "UK"),
        ("overlap.test", None),
        ("News & Weather", None),
    ],
)
def test_country_of_a_guide_id(xmltv_id: str, country: str | None) -> None:
    assert epg_match.tvg_country(xmltv_id) == country


@pytest.mark.parametrize(
    ("name", "key", "country"),
    [
        ("MTV India", "mtv", "IN"),
        ("ATV TR", "atv", "TR"),
        ("UK: TV3", "tv 3", "UK"),
        ("Investigation Discovery ID", "investigation discovery id", None),
        ("Tv Do", "tv do", None),
        ("India", "india", None),  # a name that is only a country keeps it
        ("Fox Sports Latin America", "fox sports latin america", None),
    ],
)
def test_country_of_a_channel_name(name: str, key: str, country: str | None) -> None:
    assert epg_match.name_identity(name) == (key, country)


def test_suggestions_carry_scores_and_put_other_countries_last() -> None:
    index, _ = index_of(
        {"DemainTV.fr": "Demain TV", "DemaisTVNews.br": "Demais TV News", "Other.br": "Other"}
    )
    found = index.suggest("demais tv", 3, frozenset({"BR"}))
    assert [s.xmltv_id for s in found] == ["DemaisTVNews.br", "Other.br", "DemainTV.fr"]
    assert all(isinstance(s.score, int) and 0 <= s.score <= 100 for s in found)
    assert found[-1].score > found[0].score  # the closer name, yet another country: last
    assert found[-1].country == "FR"
