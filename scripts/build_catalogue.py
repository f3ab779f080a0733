"""Build the channel catalogue snapshot shipped in the package from the iptv-org database.

    .venv/bin/python scripts/build_catalogue.py [SOURCE] [--out FILE]

SOURCE is a folder of the database's CSV files (or the repository, with them in data/), or a
zip of it; default: ../shared/data/iptv-org/database next to the repository. The output
(default: src/strmline/matching/data/catalogue.json.gz) is deterministic: the same CSV files
give the same bytes, which a test checks against the shipped file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from strmline.matching.catalogue import Catalogue
from strmline.matching.catalogue_build import build_snapshot
from strmline.providers.catalogue import read_source

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "iptv-org" / "database"
DEFAULT_OUT = ROOT / "src" / "strmline" / "matching" / "data" / "catalogue.json.gz"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    snapshot = build_snapshot(read_source(args.source))
    catalogue = Catalogue.from_bytes(snapshot)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(snapshot)
    print(
        f"{args.out}: {len(snapshot):,} bytes, {len(catalogue):,} channels, "
        f"{catalogue.source.get('feeds', 0):,} feeds, {catalogue.source.get('logos', 0):,} logos"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
