"""The sync pipeline: one provider's live list into the merged channel list, set-based.

Stages, one module each, run in this order by :mod:`.run`:

- :mod:`.fetch`: download (streamed, backups in order), parse, and the guards that refuse an
  empty or much shorter list;
- :mod:`.filter`: the provider's group filter (categories listed, entries not taken dropped);
- :mod:`.diff`: compare against the provider's stored streams by provider key and content hash;
- :mod:`.match`: assign new or renamed entries a channel against a channel index loaded once;
- :mod:`.write`: bulk inserts and updates, removal flags, set-based stream counts and ranks.

:mod:`.bulk` holds the bulk-step helpers the stages (and the VOD sync) share.
"""

from strmline.db.bulk import allocate_ids
from strmline.pipelines.sync.diff import item_hash, list_hash, parse_number
from strmline.pipelines.sync.fetch import fetch_provider
from strmline.pipelines.sync.run import SyncFailed, SyncResult, sync_job, sync_provider

__all__ = [
    "SyncFailed",
    "SyncResult",
    "allocate_ids",
    "fetch_provider",
    "item_hash",
    "list_hash",
    "parse_number",
    "sync_job",
    "sync_provider",
]
