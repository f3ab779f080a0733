"""The VOD sync: one provider's movies and series into the shared VOD catalog, set-based.

Stages, one module each, run in this order by :mod:`.run`:

- :mod:`.fetch`: the lists (Xtream categories, streams, series; M3U: VOD-looking entries) and
  details, as the rows of :mod:`.items`;
- :mod:`.diff`: guards, then per title kind what is new, changed or gone (provider key + hash);
- :mod:`.titles`: movies and series, matched to logical titles (TMDB id, else title + year);
- :mod:`.episodes`: the episodes of the series whose details were fetched;
- :mod:`.write`: the lock, the shared write helpers, set-based removal flags and purge.

:mod:`.kinds` holds the :class:`~.kinds.TitleKind` descriptor the stages share for movies,
series and episodes; :mod:`.result` the result and error types.
"""

from strmline.pipelines.vod.fetch import is_vod_entry
from strmline.pipelines.vod.result import VodSyncFailed, VodSyncResult
from strmline.pipelines.vod.run import sync_vod, vod_sync_job
from strmline.pipelines.vod.titles import title_key

__all__ = [
    "VodSyncFailed",
    "VodSyncResult",
    "is_vod_entry",
    "sync_vod",
    "title_key",
    "vod_sync_job",
]
