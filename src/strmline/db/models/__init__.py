"""Every table of strmline; importing this module registers them all on ``Base.metadata``."""

from strmline.db.base import Base
from strmline.db.models.accounts import Favorite, User, ViewingSession
from strmline.db.models.catalog import Channel, MergeRule, Provider, Stream
from strmline.db.models.epg import EpgChannel, EpgProgramme, EpgProgrammeStaging, EpgSource
from strmline.db.models.lineups import Lineup, LineupMember, ProviderGroup, UserLineup
from strmline.db.models.system import Job, Setting
from strmline.db.models.vod import (
    VodEpisode,
    VodEpisodeSource,
    VodMovie,
    VodMovieSource,
    VodSeries,
    VodSeriesSource,
)

__all__ = [
    "Base",
    "Channel",
    "EpgChannel",
    "EpgProgramme",
    "EpgProgrammeStaging",
    "EpgSource",
    "Favorite",
    "Job",
    "Lineup",
    "LineupMember",
    "MergeRule",
    "Provider",
    "ProviderGroup",
    "Setting",
    "Stream",
    "User",
    "UserLineup",
    "ViewingSession",
    "VodEpisode",
    "VodEpisodeSource",
    "VodMovie",
    "VodMovieSource",
    "VodSeries",
    "VodSeriesSource",
]
