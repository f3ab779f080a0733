"""Build the compact channel catalogue snapshot from the iptv-org database CSV files (pure).

Input: the text of ``channels.csv``, ``feeds.csv`` and ``logos.csv`` (``categories.csv`` is
optional). Output: gzipped, compact JSON that :class:`strmline.matching.catalogue.Catalogue`
reads. The output is deterministic (rows sorted by id, gzip mtime 0), so building twice from the
same files gives the same bytes. Reading the files (a folder, a zip, a URL) is the caller's job:
``scripts/build_catalogue.py`` and ``strmline catalogue update``.

Snapshot layout (format :data:`FORMAT`), UTF-8 text, one line each::

    {"format": 1, "source": {...counts...}, "categories": {"sports": "Sports", ...}}
    <id> TAB <index keys> TAB [name, [alt names], network, country, [categories], logo,
                               closed, replaced_by, [[feed id, name, [alt names], is_main,
                               [broadcast areas], [languages], format], ...]]

one line per channel, sorted by id. Index keys are the channel's names folded (:func:`fold`),
space-separated, each as ``0:key`` (its name), ``1:key`` (an alternative name) or
``2.<feed index>:key`` (name + feed name). Storing them makes loading a dictionary fill, not
120,000 name foldings; the JSON part is parsed only for the channels a lookup returns.
Empty strings stand for "none".
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

from strmline.errors import FormatError

__all__ = ["FORMAT", "REQUIRED_FILES", "build_snapshot", "fold", "index_keys"]

FORMAT = 1
REQUIRED_FILES = ("channels.csv", "feeds.csv", "logos.csv")
OPTIONAL_FILES = ("categories.csv",)
_RASTER = frozenset({"PNG", "JPEG", "JPG", "WEBP", "GIF"})
_TOKEN_RE = re.compile(r"[^\W_]+|\+")
_NUMBER_WORDS = {
    "zero": "0",
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
    "+": "plus",
}
# Rank of the name a key comes from: the channel's own name beats an alternative name, which
# beats "channel name + feed name".
NAME, ALT, FEED = 0, 1, 2


def fold(text: str) -> str:
    """The comparison form of a name: "Canal Sur" -> "canalsur", "BBC One" -> "bbc1".

    Accents, case, spaces and punctuation do not count; number words are digits. Changing it
    changes the stored keys: bump :data:`FORMAT` and rebuild the snapshot.
    """
    if not text.isascii():
        text = "".join(
            c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
        )
    return "".join(_NUMBER_WORDS.get(w, w) for w in _TOKEN_RE.findall(text.casefold()))


def index_keys(name: str, alt_names: list[str], feeds: list[list[Any]]) -> str:
    """A channel's index keys, best rank first, each key once (see the module doc)."""
    seen: set[str] = set()
    out: list[str] = []
    candidates: list[tuple[str, str]] = [("0", name)]
    candidates += [("1", alt) for alt in alt_names]
    candidates += [
        (f"2.{fi}", f"{name} {feed_name}")
        for fi, feed in enumerate(feeds)
        if not feed[3]
        for feed_name in (feed[1], *feed[2])
    ]
    for tag, text in candidates:
        key = fold(text)
        if key and key not in seen:
            seen.add(key)
            out.append(f"{tag}:{key}")
    return " ".join(out)


def _rows(text: str, name: str, columns: tuple[str, ...]) -> Iterator[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in columns if c not in (reader.fieldnames or ())]
    if missing:
        raise FormatError(f"{name}: missing column(s) {', '.join(missing)}")
    for row in reader:
        yield {k: (v or "").strip() for k, v in row.items() if k is not None}


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(";") if v.strip()]


def _logo_rank(row: dict[str, str], position: int) -> tuple[int, int, int, int, int]:
    # A channel-wide, in-use raster logo without special tags is what a media server shows best.
    return (
        row["feed"] != "",
        row["in_use"].upper() != "TRUE",
        row["format"].upper() not in _RASTER,
        row["tags"] != "",
        position,
    )


def build_snapshot(files: Mapping[str, str]) -> bytes:
    """The gzipped snapshot built from CSV texts keyed by file name (``channels.csv`` …)."""
    missing = [name for name in REQUIRED_FILES if name not in files]
    if missing:
        raise FormatError(f"iptv-org database: missing {', '.join(missing)}")

    logos: dict[str, tuple[tuple[int, int, int, int, int], str]] = {}
    for n, row in enumerate(
        _rows(files["logos.csv"], "logos.csv", ("channel", "feed", "in_use", "format", "url"))
    ):
        if not row["url"]:
            continue
        rank = _logo_rank(row, n)
        best = logos.get(row["channel"])
        if best is None or rank < best[0]:
            logos[row["channel"]] = (rank, row["url"])

    feeds: dict[str, list[list[Any]]] = {}
    n_feeds = 0
    for row in _rows(
        files["feeds.csv"], "feeds.csv", ("channel", "id", "name", "is_main", "broadcast_area")
    ):
        feeds.setdefault(row["channel"], []).append(
            [
                row["id"],
                row["name"],
                _split(row.get("alt_names", "")),
                1 if row["is_main"].upper() == "TRUE" else 0,
                _split(row["broadcast_area"]),
                _split(row.get("languages", "")),
                row.get("format", ""),
            ]
        )
        n_feeds += 1

    lines: list[tuple[str, str]] = []
    n_logos = 0
    for row in _rows(
        files["channels.csv"], "channels.csv", ("id", "name", "alt_names", "country", "categories")
    ):
        channel_id, name = row["id"], row["name"]
        if not channel_id or not name or any(c in channel_id for c in "\t\n "):
            continue
        channel_feeds = sorted(feeds.get(channel_id, ()), key=lambda f: (-f[3], f[0]))
        alt_names = _split(row["alt_names"])
        logo = logos.get(channel_id)
        n_logos += logo is not None
        data = [
            name,
            alt_names,
            row.get("network", ""),
            row["country"].upper(),
            _split(row["categories"]),
            logo[1] if logo else "",
            row.get("closed", ""),
            row.get("replaced_by", ""),
            channel_feeds,
        ]
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        lines.append(
            (channel_id, f"{channel_id}\t{index_keys(name, alt_names, channel_feeds)}\t{text}")
        )
    lines.sort()

    categories: dict[str, str] = {}
    if "categories.csv" in files:
        for row in _rows(files["categories.csv"], "categories.csv", ("id", "name")):
            categories[row["id"]] = row["name"]

    header = {
        "format": FORMAT,
        "source": {"channels": len(lines), "feeds": n_feeds, "logos": n_logos},
        "categories": dict(sorted(categories.items())),
    }
    out = [json.dumps(header, ensure_ascii=False, separators=(",", ":"))]
    out += [line for _, line in lines]
    text = "\n".join(out) + "\n"
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)
