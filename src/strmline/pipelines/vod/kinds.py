"""The descriptor of a VOD title kind: where its titles and its per-provider sources live.

Movies, series and episodes are stored the same way: a table of logical titles (one per title,
shared by every provider offering it) and a table of sources (one per provider entry, with the
provider key, a content hash and a removal flag) pointing at its title through one column. The
stages diff, write, flag and purge all three through a :class:`TitleKind` rather than code per
kind; only what really differs (episode identity by season and number) is written apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

from sqlalchemy import Table

from strmline.db.models import (
    VodEpisode,
    VodEpisodeSource,
    VodMovie,
    VodMovieSource,
    VodSeries,
    VodSeriesSource,
)

__all__ = ["EPISODE", "KINDS", "MOVIE", "SERIES", "TitleKind"]

TitleModel = type[VodMovie] | type[VodSeries] | type[VodEpisode]
SourceModel = type[VodMovieSource] | type[VodSeriesSource] | type[VodEpisodeSource]


@dataclass(frozen=True, slots=True)
class TitleKind:
    """One kind of catalog title: its models and tables, key columns and id fields."""

    name: Literal["movies", "series", "episodes"]  # also the prefix of its result counters
    model: TitleModel
    source_model: SourceModel
    owner: str  # the column of the source table holding the title id
    # Source columns the diff reads besides id, provider key, owner, content hash, removed_at.
    diff_columns: tuple[str, ...] = ()
    # External ids the provider's entries carry for this kind (title rows have both columns).
    ids: tuple[str, ...] = ("tmdb_id", "imdb_id")

    @property
    def titles(self) -> Table:
        return cast(Table, self.model.__table__)

    @property
    def sources(self) -> Table:
        return cast(Table, self.source_model.__table__)


MOVIE = TitleKind("movies", VodMovie, VodMovieSource, "movie_id")
SERIES = TitleKind(
    "series", VodSeries, VodSeriesSource, "series_id", ("last_modified",), ids=("tmdb_id",)
)
EPISODE = TitleKind("episodes", VodEpisode, VodEpisodeSource, "episode_id", ids=())
KINDS = (MOVIE, SERIES, EPISODE)
