"""Settings: one root object with nested groups, read from ``STRMLINE_*`` variables and ``.env``.

Top-level values are ``STRMLINE_DATA_DIR``, ``STRMLINE_DATABASE_URL`` …; nested groups use a double
underscore: ``STRMLINE_SYNC__SHRINK_GUARD=0.3``.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_FILE = "secret.key"


class SyncSettings(BaseModel):
    shrink_guard: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="refuse a fetch with fewer than this share of the last good entry count",
    )
    removed_retention_days: int = Field(
        7, ge=0, description="days a stream missing from its provider is kept before deletion"
    )
    default_interval_minutes: int = Field(
        720, ge=5, description="scheduled sync interval for providers without their own"
    )
    batch_size: int = Field(2000, ge=100, le=20000, description="rows per bulk statement")


class MatchSettings(BaseModel):
    threshold: int = Field(90, ge=50, le=100, description="fuzzy name similarity needed to merge")


class HttpSettings(BaseModel):
    timeout: float = Field(30.0, gt=0, description="seconds to wait for a provider's response")
    connect_timeout: float = Field(10.0, gt=0)
    max_connections: int = Field(20, ge=1)
    user_agent: str = "strmline/0.1"


class JobSettings(BaseModel):
    backend: Literal["local", "celery"] = Field(
        "local",
        description="local: jobs run in this process; celery: sent to Celery workers (needs redis_url)",
    )
    concurrency: int = Field(
        2, ge=1, le=64, description="jobs run at once by the in-process runner or a worker"
    )
    stale_after_seconds: float = Field(
        120.0, gt=0, description="a running job without a heartbeat this long is dead"
    )
    queued_timeout_seconds: float = Field(
        3600.0, gt=0, description="a queued job nobody picked up this long is lost"
    )
    heartbeat_seconds: float = Field(20.0, gt=0)
    progress_interval_seconds: float = Field(
        0.5, gt=0, description="shortest gap between progress writes and events"
    )
    schedule_tick_seconds: float = Field(
        30.0, gt=0, description="how often the scheduler looks for due providers"
    )
    redis_prefix: str = Field(
        "strmline", description="prefix of every Redis key and channel strmline uses"
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="STRMLINE_",
        env_file=".env",
        env_nested_delimiter="__",
        env_ignore_empty=True,
        extra="ignore",
    )

    data_dir: Path = Field(
        Path("./data"), description="where the SQLite database, secret key and outputs live"
    )
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: SQLite file in the data dir"
    )
    redis_url: str | None = Field(
        None, description="Redis URL; enables Celery, shared cache and pub/sub"
    )
    output_dir: Path | None = Field(
        None, description="where .strm libraries are written; default: <data dir>/strm"
    )
    base_url: str = Field(
        "http://127.0.0.1:8000",
        description="public URL of this server, used in playlists and .strm files",
    )
    secret_key: SecretStr | None = Field(
        None, description="signing key; generated once into the data dir when not set"
    )

    sync: SyncSettings = SyncSettings()
    match: MatchSettings = MatchSettings()
    http: HttpSettings = HttpSettings()
    jobs: JobSettings = JobSettings()

    @property
    def db_url(self) -> str:
        if self.database_url:
            return normalize_db_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'strmline.db').resolve()}"

    @property
    def strm_dir(self) -> Path:
        return self.output_dir or self.data_dir / "strm"

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir

    def get_secret_key(self) -> str:
        """The configured key, or one generated once and kept in the data dir (mode 0600)."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.ensure_data_dir() / SECRET_FILE
        try:
            return path.read_text().strip()
        except FileNotFoundError:
            pass
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key + "\n")
        return key


def normalize_db_url(url: str) -> str:
    """Accept the URLs people paste and turn them into async-driver URLs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url[len("postgresql://") :]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
