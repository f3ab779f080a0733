"""Path and query parameter types shared by routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

# Row ids are 32-bit on PostgreSQL (SERIAL/INTEGER): a larger number cannot name a row, and
# passing it to the driver fails with a 500 instead of a clean 404/422.
MAX_ID = 2**31 - 1

IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="row id")]
