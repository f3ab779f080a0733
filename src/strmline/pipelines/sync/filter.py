"""Filter: the provider's group filter, between fetch and diff.

Counts the fetched entries per category and stores them (so the categories can be chosen
after a fetch, even one the filter then refuses), then keeps only the entries the filter takes:
the others are neither matched nor stored, and stored streams of categories no longer taken
are marked removed by the write stage like any entry the provider stopped sending. A filter
that would keep nothing of a non-empty list is refused, as an empty list is.
"""

from __future__ import annotations

from collections import Counter

from strmline.db.base import utcnow
from strmline.db.models import Provider
from strmline.pipelines.context import PipelineContext
from strmline.providers.base import FetchResult
from strmline.services import group_filters

__all__ = ["apply"]


async def apply(ctx: PipelineContext, provider: Provider, fetched: FetchResult) -> str | None:
    """Filter ``fetched.items`` in place; why the sync must stop, if it must."""
    items = fetched.items
    if not items:
        return None
    counts = Counter(item.group or "" for item in items)
    # Its own short transaction: the categories are listed even when the sync is refused.
    async with ctx.session_factory() as session, session.begin():
        await group_filters.record_groups(
            session, provider.id, counts, provider.take_new_groups, utcnow()
        )
        flt = await group_filters.load_filter(session, provider)
    if flt.is_open():
        return None
    taken = {group for group in counts if flt.takes_group(group)}
    if flt.filters_names:
        kept = [i for i in items if (i.group or "") in taken and flt.takes_name(i.name)]
    else:
        kept = [i for i in items if (i.group or "") in taken]
    if not kept:
        return (
            f"the group filter takes none of the {len(items):,} entries in {len(counts):,} "
            "categories; keeping the previous channels (change it under the provider's groups)"
        )
    fetched.items = kept
    return None
