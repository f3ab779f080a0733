"""Deterministic multi-provider IPTV playlist with known truth, for matching benchmarks.

    from playlist_gen import generate, write_m3u
    lines, truth = generate(100_000, seed=7)   # M3U lines, entry url -> true channel id

About a quarter as many distinct channels as entries: brand + genre names, numbered channels,
plus/extra variants, regional feeds (East/West/Pacific), acronym channels, the same name in
several countries; each offered by 1-4 providers in 1-2 qualities, written the way each
provider writes names (prefix style, quality suffix, case, spacing, tvg-id or not, the odd
typo). The same seed always gives the same lines. No I/O unless ``write_m3u`` is called.
"""

from __future__ import annotations

import random
from pathlib import Path

__all__ = ["generate", "write_m3u"]

_BRANDS = [
    "Nova",
    "Astra",
    "Zenith",
    "Orbit",
    "Vortex",
    "Pulse",
    "Summit",
    "Harbor",
    "Falcon",
    "Meridian",
    "Cobalt",
    "Crimson",
    "Emerald",
    "Atlas",
    "Beacon",
    "Canyon",
    "Delta",
    "Ember",
    "Fjord",
    "Glacier",
    "Horizon",
    "Ivory",
    "Jasper",
    "Kestrel",
    "Lumen",
    "Magnet",
    "Nimbus",
    "Onyx",
    "Prairie",
    "Quasar",
    "Raven",
    "Sierra",
    "Tundra",
    "Umbra",
    "Valor",
    "Willow",
    "Xenon",
    "Yonder",
    "Zephyr",
    "Amber",
    "Bolt",
    "Cedar",
    "Dune",
    "Echo",
    "Flint",
    "Garnet",
    "Hollow",
    "Indigo",
    "Jungle",
    "Krypton",
    "Lotus",
    "Mosaic",
    "Nectar",
    "Oasis",
    "Pepper",
    "Quill",
    "Ripple",
    "Saffron",
    "Thistle",
    "Unity",
    "Velvet",
    "Wander",
    "Yukon",
    "Zodiac",
    "Apex",
    "Blaze",
    "Comet",
    "Drift",
    "Fable",
    "Gusto",
    "Helix",
    "Iris",
    "Jolt",
    "Karma",
    "Lyric",
    "Mango",
    "Nordic",
    "Opal",
    "Piston",
    "Quartz",
    "Rocket",
    "Solar",
    "Tango",
    "Ultra",
    "Vista",
    "Wombat",
    "Yeti",
    "Zing",
    "Arrow",
    "Bison",
    "Coral",
    "Dingo",
    "Elixir",
    "Fiesta",
    "Gazelle",
    "Hermes",
    "Igloo",
    "Jaguar",
    "Koala",
    "Lagoon",
    "Mustang",
    "Neptune",
    "Olive",
    "Panda",
    "Rhino",
    "Sphinx",
    "Tiger",
    "Urchin",
    "Viper",
    "Walrus",
    "Alpine",
    "Boreal",
    "Cosmic",
    "Dynamo",
    "Equinox",
    "Frontier",
    "Galaxy",
    "Hydra",
    "Inferno",
    "Jubilee",
    "Kinetic",
    "Lunar",
    "Monsoon",
    "Nebula",
    "Octane",
    "Phoenix",
    "Radiant",
    "Stellar",
    "Tempest",
    "Vertex",
    "Whirl",
    "Azure",
    "Bramble",
    "Cinder",
]
_GENRES = [
    "Sports",
    "Movies",
    "Cinema",
    "News",
    "Kids",
    "Music",
    "Comedy",
    "Drama",
    "Docs",
    "Life",
    "Travel",
    "Food",
    "Nature",
    "Science",
    "History",
    "Action",
    "Family",
    "Classics",
    "Arena",
    "Racing",
    "Golf",
    "Tennis",
    "Fight",
    "Anime",
    "Crime",
    "Mystery",
    "Romance",
    "Westerns",
    "Gaming",
    "Fashion",
    "Business",
    "Weather",
    "Auto",
    "Outdoor",
    "Fishing",
    "Cooking",
    "Faith",
    "Health",
    "Retro",
    "Country",
    "Jazz",
    "Rock",
    "Pop",
    "Latino",
    "Novelas",
    "Reality",
    "Shop",
    "Hits",
    "Gold",
]
_SUFFIXES = ["TV", "Channel", "Network", "One", "Max", "Prime", "Select", "World"]
_COUNTRIES = ["US", "UK", "CA", "DE", "FR", "ES", "IT", "NL", "PL", "BR", "MX", "IN", "AU"]
_COUNTRY_WEIGHTS = [30, 18, 10, 7, 7, 6, 5, 3, 3, 4, 3, 2, 2]
_REGIONS = ["East", "West", "Pacific"]
_QUALITIES = [
    "",
    " HD",
    " FHD",
    " 4K",
    " ᴴᴰ",
    " (1080p)",
    " (720p)",
    " HEVC",
    " UHD",
    " SD",
    " 1080p",
    " FHD H265",
    " [Geo-blocked]",
    " (backup)",
]
_QUALITY_WEIGHTS = [30, 20, 12, 4, 3, 5, 5, 2, 2, 5, 4, 2, 1, 1]
_CONSONANTS = "BCDFGHJKLMNPRSTVWXZ"


class _Provider:
    def __init__(self, number: int, prefix: str, tvg_rate: float, case: str) -> None:
        self.number = number
        self.prefix = prefix  # format with {c}: "{c}: ", "|{c}| ", ...
        self.tvg_rate = tvg_rate
        self.case = case


_PROVIDERS = [
    _Provider(1, "{c}: ", 0.9, "as-is"),
    _Provider(2, "|{c}| ", 0.5, "upper"),
    _Provider(3, "{c} - ", 0.0, "as-is"),
    _Provider(4, "[{c}] ", 0.7, "mixed"),
]
_COUNTRY_SPELLING = {"US": ["US", "US", "USA"], "UK": ["UK", "UK", "GB"]}


def _channels(rng: random.Random, n: int) -> list[tuple[str, str, str]]:
    """n distinct (true id, canonical name, country); canonical uses " Plus"/" 2" forms."""
    seen: set[tuple[str, str]] = set()
    out: list[tuple[str, str, str]] = []
    acronyms: set[str] = set()
    while len(out) < n:
        roll = rng.random()
        brand = rng.choice(_BRANDS)
        if roll < 0.45:
            name = f"{brand} {rng.choice(_GENRES)}"
        elif roll < 0.6:
            name = f"{brand} {rng.choice(_GENRES)} {rng.randint(1, 9)}"
        elif roll < 0.68:
            name = f"{brand} {rng.choice(_GENRES)} {rng.choice(['Plus', 'Extra'])}"
        elif roll < 0.76:
            name = f"{brand} {rng.choice(_GENRES)} {rng.choice(_REGIONS)}"
        elif roll < 0.86:
            name = f"{brand} {rng.choice(_SUFFIXES)}"
            if rng.random() < 0.3:
                name += f" {rng.randint(1, 5)}"
        else:
            length = rng.choice([3, 4])
            acro = "".join(rng.choice(_CONSONANTS) for _ in range(length))
            if acro in acronyms and rng.random() < 0.5:
                continue
            acronyms.add(acro)
            name = acro if rng.random() < 0.6 else f"{acro} {rng.randint(1, 9)}"
        country = rng.choices(_COUNTRIES, _COUNTRY_WEIGHTS)[0]
        ident = (name, country)
        if ident in seen:
            continue
        seen.add(ident)
        out.append((f"c{len(out)}", name, country))
    return out


def _typo(rng: random.Random, name: str) -> str:
    words = name.split(" ")
    long_words = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not long_words:
        return name
    i = rng.choice(long_words)
    w = words[i]
    pos = rng.randint(2, len(w) - 2)
    kind = rng.random()
    if kind < 0.4:
        w = w[:pos] + w[pos + 1 :]
    elif kind < 0.7:
        w = w[:pos] + w[pos + 1] + w[pos] + w[pos + 2 :]
    else:
        w = w[:pos] + rng.choice("aeiourstln") + w[pos + 1 :]
    words[i] = w
    return " ".join(words)


def _render(rng: random.Random, prov: _Provider, name: str, country: str) -> str:
    text = name
    if text.endswith(" Plus") and rng.random() < 0.5:
        text = text[:-5] + "+"
    words = text.split(" ")
    # Acronym channels: some providers glue the number ("XKT2").
    if len(words) == 2 and words[0].isupper() and words[1].isdigit() and rng.random() < 0.5:
        text = words[0] + words[1]
    if rng.random() < 0.02:
        text = _typo(rng, text)
    if prov.case == "upper" or (prov.case == "mixed" and rng.random() < 0.2):
        text = text.upper()
    elif rng.random() < 0.04:
        text = text.lower()
    if rng.random() < 0.05:
        text = text.replace(" ", "  ", 1)
    text += rng.choices(_QUALITIES, _QUALITY_WEIGHTS)[0]
    if rng.random() < 0.05:
        return text  # no country prefix at all
    spelled = rng.choice(_COUNTRY_SPELLING.get(country, [country]))
    return prov.prefix.format(c=spelled) + text


def _tvg_id(name: str, country: str) -> str:
    return (
        "".join(w for w in name.replace("+", "Plus").split() if w.isalnum()) + "." + country.lower()
    )


def generate(n_entries: int = 100_000, *, seed: int = 7) -> tuple[list[str], dict[str, str]]:
    """M3U lines for n_entries entries, and the truth: entry url -> true channel id."""
    rng = random.Random(seed)
    # About four entries per channel on average; a few spare channels so the count is met.
    channels = _channels(rng, max(1, n_entries * 26 // 100))
    per_provider: dict[int, list[tuple[str, str, str, str]]] = {p.number: [] for p in _PROVIDERS}
    truth: dict[str, str] = {}
    serial = 0
    count = 0
    for cid, name, country in channels:
        k = rng.choices([1, 2, 3, 4], [10, 30, 35, 25])[0]
        for prov in rng.sample(_PROVIDERS, k):
            for _ in range(1 if rng.random() < 0.55 else 2):
                if count >= n_entries:
                    break
                serial += 1
                count += 1
                shown = _render(rng, prov, name, country)
                tvg = _tvg_id(name, country) if rng.random() < prov.tvg_rate else ""
                url = f"http://prov{prov.number}.example/live/user/pass/{serial}.ts"
                per_provider[prov.number].append((shown, tvg, url, name.split(" ")[-1]))
                truth[url] = cid
        if count >= n_entries:
            break
    lines = ["#EXTM3U"]
    for number, entries in per_provider.items():
        rng.shuffle(entries)
        for shown, tvg, url, group in entries:
            logo = f"http://prov{number}.example/logos/{url.rsplit('/', 1)[1][:-3]}.png"
            lines.append(
                f'#EXTINF:-1 tvg-id="{tvg}" tvg-name="{shown}" tvg-logo="{logo}" '
                f'group-title="{group}",{shown}'
            )
            lines.append(url)
    return lines, truth


def write_m3u(path: str | Path, n_entries: int = 100_000, seed: int = 7) -> dict[str, str]:
    """Write the playlist to path; returns the truth map."""
    lines, truth = generate(n_entries, seed=seed)
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return truth


if __name__ == "__main__":
    import sys

    out = sys.argv[1] if len(sys.argv) > 1 else "bench_playlist.m3u"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    write_m3u(out, n)
    print(out)
