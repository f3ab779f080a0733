"""Write the API's OpenAPI document to frontend/openapi.json, from which the UI's types are made.

Run it (then ``cd frontend && npm run api:types``) after changing a route or a response model;
tests/unit/test_openapi_current.py fails while the checked-in document is stale. ``--check``
compares instead of writing.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "frontend" / "openapi.json"


def build_schema() -> dict[str, Any]:
    """The document the server publishes at /api/openapi.json, built without a database."""
    from strmline.api.app import create_app
    from strmline.config import Settings

    # Building the app opens nothing (the lifespan does, and it is not run); the data dir is only
    # read by settings validation, so a throwaway one keeps the user's config out of the document.
    with tempfile.TemporaryDirectory(prefix="strmline-openapi-") as data_dir:
        app = create_app(Settings(data_dir=Path(data_dir)), scheduler=False, migrate=False)
        return app.openapi()


def render(schema: dict[str, Any]) -> str:
    """Sorted keys and a trailing newline: the same routes always give the same bytes."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=TARGET, help="where to write it")
    parser.add_argument("--check", action="store_true", help="fail if the file is not current")
    args = parser.parse_args(argv)
    text = render(build_schema())
    out: Path = args.output
    if args.check:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            print(f"{out}: stale; run scripts/export_openapi.py", file=sys.stderr)
            return 1
        return 0
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
