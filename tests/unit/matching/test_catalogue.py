"""The built-in channel catalogue: aliases, rebrands, countries, tvg-ids, the shipped snapshot."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from strmline.errors import FormatError
from strmline.matching.catalogue import Catalogue, fold, packaged
from strmline.matching.catalogue_build import build_snapshot
from strmline.matching.matcher import MatchItem, cluster
from strmline.matching.names import parse_name
from strmline.matching.rules import MergeRule

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared" / "data" / "iptv-org" / "database"
SHIPPED = ROOT / "src" / "strmline" / "matching" / "data" / "catalogue.json.gz"


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return packaged()


def test_shipped_snapshot_loads_fast_and_is_big(cat: Catalogue) -> None:
    assert len(cat) > 30_000
    assert SHIPPED.stat().st_size < 3 * 1024 * 1024
    start = time.perf_counter()
    Catalogue.from_bytes(SHIPPED.read_bytes())
    assert time.perf_counter() - start < 2.0  # ~0.15 s; generous for a loaded CI box
    assert cat.categories["sports"] == "Sports"


@pytest.mark.parametrize(
    ("a", "b", "tvg_id"),
    [
        ("FS2", "Fox Sports 2", "FoxSports2.us"),
        ("BT Sport 10", "TNT Sports 10", "TNTSports10.uk"),
        ("UK: ITV", "ITV1", "ITV1.uk"),
        ("ES: Canal Sur", "ES: CanalSur HD", "CanalSur.es"),
        ("Nicktoons Polska", "PL: Nicktoons", "Nicktoons.pl"),
    ],
)
def test_aliases_and_rebrands_resolve_to_one_channel(
    cat: Catalogue, a: str, b: str, tvg_id: str
) -> None:
    ma, mb = cat.lookup(a), cat.lookup(b)
    assert ma is not None and mb is not None
    assert ma.tvg_id == mb.tvg_id == tvg_id
    ka, kb = cat.alias_key(a), cat.alias_key(b)
    assert ka is not None and kb is not None
    assert (ka.key, ka.region, ka.country) == (kb.key, kb.region, kb.country)
    assert ka.reason.startswith("catalogue: ") and tvg_id in ka.reason


def test_countries_must_agree(cat: Catalogue) -> None:
    # Nicktoons exists in many countries: without one it resolves to nothing ...
    assert cat.lookup("Nicktoons") is None
    # ... with one it resolves only to that country's channel.
    us, pl = cat.lookup("Nicktoons", "US"), cat.lookup("Nicktoons", "PL")
    assert us is not None and us.tvg_id == "Nicktoons.us"
    assert pl is not None and pl.tvg_id == "Nicktoons.pl"
    assert cat.lookup("Nicktoons Polska", "US") is None
    assert cat.lookup("Fox Sports 2", "FR") is None
    # Spellings of one name in several countries still meet, without a country.
    a, b = cat.alias_key("Canal Sur"), cat.alias_key("CanalSur")
    assert a is not None and b is not None and a.country is None and a.key == b.key
    assert cat.lookup("ITV") is None  # ITV in UA, TZ, SN, MZ and ITV1 in the UK


def test_lookup_by_tvg_id_and_feed(cat: Catalogue) -> None:
    m = cat.lookup("whatever the provider wrote", tvg_id="foxsports2.US")
    assert m is not None and m.channel.id == "FoxSports2.us" and m.method == "tvg-id"
    feed = cat.by_tvg_id("BBCOne.uk@Scotland")
    assert feed is not None and feed.tvg_id == "BBCOne.uk@Scotland"
    assert feed.name == "BBC One Scotland"
    by_name = cat.lookup("BBC One Scotland HD")
    assert by_name is not None and by_name.tvg_id == "BBCOne.uk@Scotland"
    assert cat.by_tvg_id("NoSuchChannel.xx") is None


def test_enrich_fills_only_what_is_missing(cat: Catalogue) -> None:
    e = cat.enrich("FS2")
    assert e is not None
    assert (e.name, e.country, e.category, e.tvg_id) == (
        "Fox Sports 2",
        "US",
        "Sports",
        "FoxSports2.us",
    )
    assert e.reason == "catalogue: Fox Sports 2 (FoxSports2.us)"
    row = e.fill({"name": "FS2", "country": None, "category": "My Sports", "logo": None})
    assert row["category"] == "My Sports" and row["country"] == "US" and row["name"] == "FS2"
    assert row["logo"] and row["tvg_id"] == "FoxSports2.us"
    mine = cat.enrich("FS2", logo="http://mine/logo.png")
    assert mine is not None and mine.logo == "http://mine/logo.png"
    assert cat.enrich("No Such Channel Anywhere 12345") is None


def test_fold() -> None:
    assert fold("Canal Sur") == fold("CanalSur") == "canalsur"
    assert fold("BBC One") == fold("BBC 1") == "bbc1"
    assert fold("Nicktoons România") == "nicktoonsromania"
    assert fold("Canal+") == "canalplus"


_CHANNELS = """id,name,alt_names,network,owners,country,categories,is_nsfw,launched,closed,replaced_by,website
Beta.de,Beta,Beta Eins,,,DE,movies,FALSE,,,,
Alpha.us,Alpha TV,ATV,,,US,news;general,FALSE,,,,
Alpha.uk,Alpha TV,,,,UK,news,FALSE,,2020-01-01,,
"""
_FEEDS = """channel,id,name,alt_names,is_main,broadcast_area,timezones,languages,format
Alpha.us,East,East,,TRUE,c/US,America/New_York,eng,720p
Alpha.us,West,West,Pacific,FALSE,c/US,America/Los_Angeles,eng,720p
Beta.de,SD,SD,,TRUE,c/DE;c/AT,Europe/Berlin,deu,576i
"""
_LOGOS = """channel,feed,in_use,tags,width,height,format,url
Alpha.us,,FALSE,,1,1,PNG,http://x/old.png
Alpha.us,,TRUE,,1,1,SVG,http://x/a.svg
Alpha.us,,TRUE,,1,1,PNG,http://x/a.png
"""


def _small() -> bytes:
    return build_snapshot({"channels.csv": _CHANNELS, "feeds.csv": _FEEDS, "logos.csv": _LOGOS})


def test_build_is_deterministic_and_complete() -> None:
    data = _small()
    assert data == _small()
    cat = Catalogue.from_bytes(data)
    assert len(cat) == 3
    alpha = cat.get("alpha.US")
    assert alpha is not None and alpha.logo == "http://x/a.png"
    assert alpha.categories == ("news", "general")
    assert [f.id for f in alpha.feeds] == ["East", "West"]  # main feed first
    # A closed channel of the same name gives way to the one still on air.
    m = cat.lookup("Alpha TV")
    assert m is not None and m.channel.id == "Alpha.us" and m.confidence < 90
    uk = cat.lookup("Alpha TV", "UK")
    assert uk is not None and uk.channel.id == "Alpha.uk"
    west = cat.lookup("Alpha TV Pacific")
    assert west is not None and west.tvg_id == "Alpha.us@West"
    # A channel of another country that broadcasts in this one, by its feed's area.
    at = cat.lookup("Beta Eins", "AT")
    assert at is not None and at.channel.id == "Beta.de"
    assert cat.lookup("Beta", "FR") is None


def test_bad_snapshots_are_format_errors() -> None:
    with pytest.raises(FormatError):
        Catalogue.from_bytes(b"not a snapshot")
    with pytest.raises(FormatError):
        Catalogue.from_bytes(b'{"format": 999}\n')
    with pytest.raises(FormatError):
        build_snapshot({"channels.csv": _CHANNELS})


@pytest.mark.skipif(not SHARED.is_dir(), reason="the iptv-org database is not in ../shared/data")
def test_build_from_shared_data_reproduces_the_shipped_file() -> None:
    files = {
        name: (SHARED / name).read_text(encoding="utf-8")
        for name in ("channels.csv", "feeds.csv", "logos.csv", "categories.csv")
    }
    assert build_snapshot(files) == SHIPPED.read_bytes()


# --- the matcher's view: canonical identities --------------------------------------------------


def _clusters(cat: Catalogue, names: list[str], rules: list[MergeRule] | None = None) -> dict:
    items = [MatchItem(n, n, None, cat.canonical(parse_name(n))) for n in names]
    return {c.item_id: c for c in cluster(items, rules=rules or [])}


def test_canonical_changes_only_aliases(cat: Catalogue) -> None:
    plain = parse_name("Fox Sports 2")
    assert cat.canonical(plain) is plain  # already the canonical key: untouched
    fs2 = cat.canonical(parse_name("FS2"))
    assert (fs2.key, fs2.country, fs2.display) == ("fox sports 2", "US", "FS2")
    assert fs2.alias == "catalogue: Fox Sports 2 (FoxSports2.us)"
    unknown = parse_name("Totally Unknown Local Channel 4711")
    assert cat.canonical(unknown) is unknown


def test_a_network_tvg_id_never_renames_a_local(cat: Catalogue) -> None:
    # Providers label every local with the network's id; the id must not make them one key.
    local = parse_name("ABC 7 New York")
    assert cat.canonical(local, "ABC.us") is local


def test_the_merge_reason_says_the_catalogue_decided(cat: Catalogue) -> None:
    out = _clusters(cat, ["FS2", "Fox Sports 2 HD", "Fox Sports 2"])
    assert out["FS2"].cluster == out["Fox Sports 2 HD"].cluster == out["Fox Sports 2"].cluster
    joined = [c.assignment for c in out.values() if c.assignment.ref is not None]
    assert {a.method for a in joined} == {"catalogue", "exact"}
    assert "catalogue: Fox Sports 2 (FoxSports2.us)" in {a.reason for a in joined}


def test_a_users_never_rule_beats_the_catalogue(cat: Catalogue) -> None:
    rule = MergeRule(kind="never", pattern_a="FS2", pattern_b="Fox Sports 2")
    out = _clusters(cat, ["FS2", "Fox Sports 2"], [rule])
    assert out["FS2"].cluster != out["Fox Sports 2"].cluster
