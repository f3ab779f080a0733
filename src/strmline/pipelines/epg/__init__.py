"""The guide import: one source's XMLTV into staging, then swapped in one short transaction.

fetch (to a temp file) → parse in a worker thread, batch by batch → repair times per channel
(offset, missing stop, overlaps, stop before start, retention) → staging rows in small
transactions → swap: upsert the source's guide channels, replace its programmes from staging
→ match channels to guide channels.

Readers see the old guide until the swap commits and the new one after; a fetch or parse that
fails (network, truncated file, garbage) never reaches the swap, so the previous guide stays.
"""

from strmline.pipelines.epg.fetch import resolve_url
from strmline.pipelines.epg.run import (
    EpgImportFailed,
    ImportResult,
    epg_import_job,
    import_source,
    match_all,
)

__all__ = [
    "EpgImportFailed",
    "ImportResult",
    "epg_import_job",
    "import_source",
    "match_all",
    "resolve_url",
]
