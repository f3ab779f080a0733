"""Values that used to be stored and then break every later read are refused where typed."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.api.test_channels_api import curated_catalog


async def test_absurd_channel_numbers_are_refused_and_lists_keep_working(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    await curated_catalog(app)
    for bad in (1e300, 1_000_000, -1):
        r = await client.patch("/api/channels/2", headers=admin, json={"number": bad})
        assert r.status_code == 422, (bad, r.text)
    # JSON has no NaN or Infinity, but Python's encoder writes them; the API must not take them.
    for text in ('{"number": NaN}', '{"number": Infinity}'):
        r = await client.patch(
            "/api/channels/2",
            headers=admin | {"Content-Type": "application/json"},
            content=text,
        )
        assert r.status_code == 422, (text, r.text)
    ok = await client.patch("/api/channels/2", headers=admin, json={"number": 999_999.5})
    assert ok.status_code == 200, ok.text
    listed = await client.get("/api/channels", headers=admin, params={"sort": "number"})
    assert listed.status_code == 200, listed.text
    assert 999_999.5 in [i["number"] for i in listed.json()["items"]]
