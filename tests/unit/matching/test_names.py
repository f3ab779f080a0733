from __future__ import annotations

import pytest

from strmline.matching import normalize, parse_name, quality_from_label


@pytest.mark.parametrize(
    ("name", "display"),
    [
        ("US: ESPN 4K", "ESPN"),
        ("UK | BBC ONE FHD", "BBC One"),
        ("ESPN2", "ESPN 2"),
        ("|UK| Sky Sports+ ᴴᴰ", "Sky Sports+"),
        ("[CA] CBC Toronto (720p)", "CBC Toronto"),
        ("Canal 7 SALTA (404p) [Geo-blocked]", "Canal 7 SALTA"),
        ("canalLUZ (1080p) [Not 24/7]", "canalLUZ"),
        ("SKY CINEMA ACTION HD", "Sky Cinema Action"),
        ("TVO (1080p)", "TVO"),
        ("HBO SIGNATURE EAST", "HBO Signature East"),
        ("USA Network", "USA Network"),
    ],
)
def test_display(name: str, display: str) -> None:
    assert parse_name(name).display == display


@pytest.mark.parametrize(
    ("name", "country"),
    [
        ("US: ESPN", "US"),
        ("US | ESPN", "US"),
        ("|UK| BBC One", "UK"),
        ("| UK | BBC One", "UK"),
        ("[CA] CTV", "CA"),
        ("UK - ITV", "UK"),
        ("(FR) TF1", "FR"),
        ("USA: Fox", "US"),
        ("GB: Dave", "UK"),
        ("DE: Das Erste", "DE"),
        ("ESPN | US", "US"),
        ("ESPN", None),
        ("USA Network", None),
        ("Italia 2 TV", None),
    ],
)
def test_country(name: str, country: str | None) -> None:
    assert parse_name(name).country == country


def test_key_strips_quality_and_noise() -> None:
    keys = {
        parse_name(n).key
        for n in [
            "ESPN",
            "ESPN HD",
            "ESPN FHD",
            "ESPN 4K",
            "ESPNᴴᴰ",
            "ESPN ᵁᴴᴰ",
            "ESPN HEVC",
            "ESPN (1080p)",
            "ESPN [Geo-blocked]",
            "ESPN (backup)",
            "espn  hd",
            "ESPN 50fps",
            "ESPN Ｈ Ｄ",
        ]
    }
    assert keys == {"espn"}


def test_identity_parts() -> None:
    assert parse_name("ESPN2").key == parse_name("ESPN 2").key == "espn 2"
    assert len({parse_name(n).key for n in ["ESPN", "ESPN 2", "ESPN+", "ESPNews"]}) == 4
    hbo = parse_name("HBO 2 West HD")
    assert (hbo.key, hbo.region, hbo.variant) == ("hbo 2", "West", "2")
    assert parse_name("HBO Signature").variant == "Signature"
    assert parse_name("ESPN+").variant == "+"
    assert parse_name("Мир +2").variant == "+2"
    assert parse_name("BBC One North East").region == "North East"
    assert parse_name("BBC1").key == parse_name("BBC One").key


def test_tags() -> None:
    parsed = parse_name("Canal 26 (180p) [Not 24/7] [Geo-Blocked] [Timeout]")
    assert parsed.tags == ("Not 24/7", "Geo-Blocked", "Timeout")
    assert parsed.key == "canal 26"


@pytest.mark.parametrize(
    ("name", "label", "height", "codec", "fps"),
    [
        ("X 720p", "HD", 720, None, None),
        ("X (1080P)", "FHD", 1080, None, None),
        ("X (1088p)", "FHD", 1088, None, None),
        ("X (1280p)", "HD", 720, None, None),
        ("X (10p)", "SD", 480, None, None),
        ("X (576p)", "SD", 576, None, None),
        ("X 1080i", "FHD", 1080, None, None),
        ("X QHD", "QHD", 1440, None, None),
        ("X ⁴ᴷ", "UHD", 2160, None, None),
        ("X 8K", "8K", 4320, None, None),
        ("X ᶠᴴᴰ", "FHD", 1080, None, None),
        ("X FHD H.265 50 FPS", "FHD", 1080, "HEVC", 50),
        ("X x265", "", None, "HEVC", None),
        ("X AV1", "", None, "AV1", None),
        ("X H264", "", None, "H264", None),
        ("X", "", None, None, None),
    ],
)
def test_quality(
    name: str, label: str, height: int | None, codec: str | None, fps: int | None
) -> None:
    q = parse_name(name).quality
    assert (q.label, q.height, q.codec, q.fps) == (label, height, codec, fps)


def test_quality_score_order() -> None:
    order = ["SD", "", "HD", "FHD", "QHD", "UHD", "8K"]
    scores = [parse_name(f"X {lbl}".strip()).quality.score for lbl in order]
    assert scores == sorted(scores) and len(set(scores)) == len(scores)
    # Codec and frame rate break ties only; they never lift a stream over a better class.
    assert parse_name("X HD HEVC 60fps").quality.score > parse_name("X HD").quality.score
    assert parse_name("X HD HEVC 60fps").quality.score < parse_name("X FHD").quality.score


@pytest.mark.parametrize(
    ("label", "expected"),
    [("hd", "HD"), ("720p", "HD"), ("4K", "UHD"), ("uhd", "UHD"), ("1080", "FHD"), ("sd", "SD")],
)
def test_quality_from_label(label: str, expected: str) -> None:
    assert quality_from_label(label).label == expected


def test_normalize() -> None:
    assert normalize("  Télé-Québec!! ") == "tele quebec"
    assert normalize("A & E") == normalize("A&E") == normalize("AE") == "ae"
    assert normalize("Canal+") == normalize("Canal Plus")


@pytest.mark.parametrize(
    "name", ["CCTV-1综合 (1080p)", "東方衛視", "Россия 24", "ТНТ4", "Мir +3", "★", "HD"]
)
def test_non_latin_keys_are_not_empty(name: str) -> None:
    assert parse_name(name).key.strip()


def test_cyrillic_lookalikes_in_latin_words() -> None:
    # "Мir" with a Cyrillic М is the Latin word Mir typed on a mixed keyboard.
    assert parse_name("Мir +3").key == parse_name("Mir +3").key == "mir plus 3"
    # A Russian word with a stray Latin "o" stays Russian.
    assert parse_name("Кинoхит").key == parse_name("Кинохит").key
    assert parse_name("ТНТ4").key == parse_name("ТНТ 4").key


def test_cjk_keeps_marks() -> None:
    assert parse_name("ガキ").key != parse_name("カキ").key


def test_real_samples_parse(shared_data) -> None:
    names = []
    for path in sorted((shared_data / "iptv-org" / "streams").glob("*.m3u")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("#EXTINF"):
                names.append(line.rsplit(",", 1)[-1])
    assert names
    for name in names:
        parsed = parse_name(name)
        assert parsed.key, name
        assert parsed.display, name
        assert "(720p)" not in parsed.display and "[Not 24/7]" not in parsed.display
