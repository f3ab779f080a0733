"""What channel is this? Name parsing, quality extraction, channel index and clustering (pure)."""

from __future__ import annotations

from strmline.matching.matcher import Assignment, ChannelIndex, Clustered, MatchItem, cluster
from strmline.matching.names import ParsedName, Quality, normalize, parse_name, quality_from_label
from strmline.matching.rules import MergeRule

__all__ = [
    "Assignment",
    "ChannelIndex",
    "Clustered",
    "MatchItem",
    "MergeRule",
    "ParsedName",
    "Quality",
    "cluster",
    "normalize",
    "parse_name",
    "quality_from_label",
]
