"""The .strm library: movies, series (and optionally live channels) as files for media servers.

Incremental: each movie and episode keeps the path and a hash of what was written for it
(``strm_path``/``strm_hash``), so an unchanged title costs a dictionary lookup and one stat, not a
write. A renamed title is written under its new path and the old file is cleaned as an orphan;
titles that disappeared lose their files and emptied folders. All writes go through
:class:`LibraryWriter` (atomic, never outside the root). The database is updated only after the
files are written, so a run killed half way leaves rows that the next run re-checks.

The URL in each file is ``{base_url}/play/movie/{id}?token=…`` (``/play/episode/{id}``): strmline
picks and fails over between providers at play time, and provider credentials never land on
disk. ``base_url`` is, in this order: the URL saved in Settings, ``STRMLINE_BASE_URL``, the
URL of the request that asked for the library (the API passes it in the job's args), the last
such request URL (remembered for scheduled and CLI runs), then ``http://127.0.0.1:8000``. A
loopback address only works on this machine, so the result then carries a warning. The token
is the API token of ``strm.token_user`` (a dedicated, non-admin "library" user
is the recommended choice), else of the first admin. Rotating that token rewrites every file on
the next run, which is what revoking a leaked library needs.

Modules: :mod:`.base_url` (where files point), :mod:`.library` (the folder, the run's plan and
the incremental write by hash, orphan removal), :mod:`.movies`, :mod:`.episodes`, :mod:`.live`
(what files each kind should have), :mod:`.run` (the job).
"""

from strmline.pipelines.strm.base_url import (
    LAST_REQUEST_BASE_URL,
    LOOPBACK_WARNING,
    is_loopback_url,
    loopback_warning,
    remember_request_base_url,
    resolve_base_url,
)
from strmline.pipelines.strm.library import Library, StrmResult, nfo_inputs
from strmline.pipelines.strm.live import LIVE_DIR
from strmline.pipelines.strm.run import generate_library, strm_generate_job

__all__ = [
    "LAST_REQUEST_BASE_URL",
    "LIVE_DIR",
    "LOOPBACK_WARNING",
    "Library",
    "StrmResult",
    "generate_library",
    "is_loopback_url",
    "loopback_warning",
    "nfo_inputs",
    "remember_request_base_url",
    "resolve_base_url",
    "strm_generate_job",
]
