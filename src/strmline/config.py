"""Settings: one root object with nested groups, read from ``STRMLINE_*`` variables and ``.env``.

Top-level values are ``STRMLINE_DATA_DIR``, ``STRMLINE_DATABASE_URL`` …; nested groups use a double
underscore: ``STRMLINE_SYNC__SHRINK_GUARD=0.3``.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from croniter import croniter
from pydantic import AfterValidator, BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from strmline.errors import ConfigError

SECRET_FILE = "secret.key"

# Validators of values people type (settings page, env) live with the models, so a bad value
# fails where it is written, not later in the job that reads it.


def _cron(value: str | None) -> str | None:
    # The scheduler skips an expression it cannot parse, so a typo here used to stop scheduled
    # runs without a word; rejecting it on write puts the error where it was typed.
    if value is None or not value.strip():
        return None
    value = " ".join(value.split())
    if not croniter.is_valid(value):
        raise ValueError(f"not a cron expression: {value!r} (five fields, like '0 3 * * *')")
    return value


def _http_url(value: str, *, what: str) -> str:
    value = value.strip()
    if any(c.isspace() for c in value):
        raise ValueError(f"{what} must not contain spaces")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError as exc:
        raise ValueError(f"{what} is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{what} must be an http:// or https:// URL with a host")
    if parts.query or parts.fragment or "?" in value or "#" in value:
        raise ValueError(f"{what} must not have a query string or fragment")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{what} must not carry credentials")
    return value.rstrip("/")


def _public_url(value: str) -> str:
    # Playlists and .strm files append "/play/…" to it: anything but scheme, host, port and an
    # optional reverse-proxy prefix would end up in the middle of every URL.
    return _http_url(value, what="the public URL")


def _optional_url(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return _http_url(value, what="the URL")


def _networks(values: list[str]) -> list[str]:
    # uvicorn would take a mistyped entry as a literal host name that never matches, so a typo
    # silently trusted nobody (or, worse, was never noticed): reject it where it is written.
    for value in values:
        try:
            ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            raise ValueError(f"not an IP address or CIDR network: {value!r}") from None
    return [v.strip() for v in values]


CronExpr = Annotated[str | None, AfterValidator(_cron)]
PublicUrl = Annotated[str, AfterValidator(_public_url)]
OptionalUrl = Annotated[str | None, AfterValidator(_optional_url)]


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
    max_download_mb: int = Field(
        512, ge=1, description="refuse a playlist or Xtream list larger than this, uncompressed"
    )
    max_entries: int = Field(
        1_000_000, ge=1, description="refuse a list with more entries than this"
    )
    growth_guard: float = Field(
        10.0,
        ge=1.0,
        description="refuse a list more than this many times the last good entry count "
        "(and growth_min_entries more): a bomb, not a bigger provider",
    )
    growth_min_entries: int = Field(
        50_000, ge=0, description="a list may always grow by this many entries"
    )
    duplicate_guard: float = Field(
        0.5,
        gt=0.0,
        le=1.0,
        description="refuse a list in which at least this share of entries repeat another one",
    )
    auto_number_start: int = Field(
        1,
        ge=1,
        le=999_999,
        description="lowest number given to a new channel without tvg-chno; new channels get "
        "the next number above the highest in use, never below this",
    )


class MatchSettings(BaseModel):
    threshold: int = Field(90, ge=50, le=100, description="fuzzy name similarity needed to merge")
    catalogue: bool = Field(
        True,
        description="use the built-in channel catalogue for aliases, logos, categories and "
        "guide ids (never over a merge rule or a manual move)",
    )


class HttpSettings(BaseModel):
    timeout: float = Field(30.0, gt=0, description="seconds to wait for a provider's response")
    connect_timeout: float = Field(10.0, gt=0)
    max_connections: int = Field(20, ge=1)
    user_agent: str = "strmline/0.1"
    max_seconds: float = Field(
        600.0, gt=0, description="longest one download may take in all (not per read)"
    )
    max_compression_ratio: float = Field(
        100.0, ge=2, description="refuse compressed bodies that inflate more than this (bombs)"
    )
    trusted_proxies: Annotated[list[str], AfterValidator(_networks)] = Field(
        default_factory=list,
        description="reverse proxies (addresses or CIDR networks) whose X-Forwarded-For and "
        'X-Forwarded-Proto are believed, e.g. ["127.0.0.1"] behind a local nginx; empty: the '
        "direct peer is the client (login limits count it)",
        json_schema_extra={"editable": False},
    )


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


class OutputSettings(BaseModel):
    tuner_count: int | None = Field(
        None,
        ge=1,
        le=64,
        description="HDHomeRun tuners announced; default: enabled providers' connections, else 4",
    )
    page_size: int = Field(
        2000, ge=50, le=20000, description="channels read per statement by playlist outputs"
    )
    proxy_logos: bool = Field(
        True,
        description="channel logos in the M3U, XMLTV and Xtream outputs point at strmline's "
        "logo cache (/logo/…: fetched once, resized, a generated tile when the source is "
        "down); off: players get the providers' own logo URLs",
    )


class LogoSettings(BaseModel):
    """The logo cache in ``<data dir>/logos`` (services/logos.py)."""

    max_mb: int = Field(
        500,
        ge=1,
        le=1_000_000,
        description="disk space the logo cache may use; the logos shown least recently go first",
    )
    max_age_days: int = Field(
        30,
        ge=1,
        le=3650,
        description="a cached logo is fetched again from its source after this many days",
    )


class HealthSettings(BaseModel):
    concurrency: int = Field(50, ge=1, le=1000, description="stream checks running at once")
    timeout: float = Field(5.0, gt=0, description="seconds to wait for a stream's first bytes")
    connect_timeout: float = Field(3.0, gt=0)
    slow_ms: int = Field(
        3000, ge=1, description="a working stream slower than this to answer is 'slow'"
    )
    failures_to_deactivate: int = Field(
        3, ge=1, description="consecutive failed checks that make a stream inactive"
    )
    backoff_hours: list[float] = Field(
        [1.0, 6.0, 24.0], description="recheck delays of an inactive stream; the last repeats"
    )
    cron: CronExpr = Field("0 3 * * *", description="scheduled check of due streams; empty: off")
    probe: bool = Field(True, description="measure resolution/codec/fps with ffprobe when present")
    probe_concurrency: int = Field(4, ge=1, le=64)
    probe_timeout: float = Field(
        5.0, gt=0, description="seconds one ffprobe may take before it is killed"
    )
    probe_budget_per_stream: float = Field(
        3.0, gt=0, description="probing time a check may spend per stream to probe, in all"
    )
    probe_budget_seconds: float = Field(
        60.0, ge=0, description="cap on a check's whole probing phase; 0: never probe"
    )
    probe_max_age_days: float = Field(7.0, ge=0, description="re-probe streams probed before this")
    batch_size: int = Field(2000, ge=50, le=20000, description="results per write-back")


# Stream profiles (playback/profiles.py): the names strmline defines, and the placeholders a
# command profile may use. Kept here so a profile typed on the settings page is checked on save.
BUILTIN_STREAM_PROFILES = ("proxy", "redirect", "ffmpeg-remux", "ffmpeg-transcode", "streamlink")
PROFILE_PLACEHOLDERS = ("url", "user_agent", "referer")
_PROFILE_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def command_words(command: str) -> list[str]:
    """A profile command split the way a shell would (quotes kept together), never run by one;
    ValueError with a one-line reason when it is not a usable command."""
    try:
        words = shlex.split(command)
    except ValueError as exc:
        raise ValueError(f"cannot split the command: {exc}") from None
    if not words:
        raise ValueError("the command is empty")
    used = {name for word in words for name in _PROFILE_PLACEHOLDER.findall(word)}
    unknown = sorted(used - set(PROFILE_PLACEHOLDERS))
    if unknown:
        known = ", ".join(f"{{{p}}}" for p in PROFILE_PLACEHOLDERS)
        raise ValueError(f"unknown placeholder {{{unknown[0]}}} (known: {known})")
    if "url" not in used:
        raise ValueError("the command must read the stream from {url}")
    if "{" in words[0]:
        raise ValueError("the program (first word) cannot be a placeholder")
    return words


class CommandProfile(BaseModel):
    """A user's command profile: its MPEG-TS output on stdout is what viewers get."""

    name: str = Field(
        pattern=r"^[a-z0-9][a-z0-9._-]{0,39}$",
        description="lower-case letters, digits, '.', '_' and '-' (up to 40)",
    )
    command: str = Field(
        min_length=1,
        max_length=2000,
        description="program and arguments, quoted as in a shell but never run by one; "
        "{url}, {user_agent} and {referer} are filled in per argument",
    )

    @field_validator("command")
    @classmethod
    def _runnable(cls, value: str) -> str:
        program = command_words(value)[0]
        if shutil.which(program) is None:
            raise ValueError(f"{program!r} is not an executable found on PATH")
        return value


def _profiles(value: list[CommandProfile]) -> list[CommandProfile]:
    seen: set[str] = set()
    for profile in value:
        if profile.name in BUILTIN_STREAM_PROFILES:
            raise ValueError(f"{profile.name!r} is a built-in profile; choose another name")
        if profile.name in seen:
            raise ValueError(f"two profiles are named {profile.name!r}")
        seen.add(profile.name)
    return value


class PlaybackSettings(BaseModel):
    mode: Literal["redirect", "proxy"] = Field(
        "redirect", description="/play answers with a redirect, or proxies with failover"
    )
    connect_timeout: float = Field(
        5.0, gt=0, description="seconds to get an upstream's first bytes"
    )
    stall_seconds: float = Field(
        8.0, gt=0, description="an upstream silent this long is abandoned for the next stream"
    )
    grace_seconds: float = Field(
        5.0, ge=0, description="the upstream stays open this long after the last viewer leaves"
    )
    max_switches: int = Field(5, ge=0, description="stream switches per viewing session")
    max_streams_per_user: int = Field(
        0,
        ge=0,
        description="proxy mode: channels one user may watch at once, across every API "
        "process (counted in Redis when set); 0: no limit",
    )
    client_buffer_chunks: int = Field(
        256, ge=4, description="chunks queued per client before a slow client is dropped"
    )
    check_seconds: float = Field(
        2.5,
        ge=0,
        description="redirect mode: seconds to check a stream's first bytes before sending a "
        "player to it (failover to the next stream when it fails); 0: no check",
    )
    check_streams: int = Field(
        4, ge=1, description="redirect mode: streams checked per request before answering 503"
    )
    check_cache_seconds: float = Field(
        30.0, ge=0, description="redirect mode: a stream that passed is not rechecked this long"
    )
    hls_quality: str = Field(
        "best",
        pattern=r"^(best|worst|\d{3,4}p?)$",
        description="proxy mode, HLS upstreams: the variant to read: best, worst, or a height cap "
        "such as 720p",
    )
    hls_prefetch: int = Field(
        2, ge=1, le=8, description="proxy mode, HLS upstreams: segments fetched ahead at once"
    )
    redirect_credentials: bool = Field(
        False,
        description="redirect mode: also redirect to streams whose URL carries the provider's "
        "username and password (all Xtream streams); players, their logs and anyone they share "
        "a URL with then see those credentials. Off: such streams are proxied",
    )
    stream_profiles: Annotated[list[CommandProfile], AfterValidator(_profiles)] = Field(
        default_factory=list,
        max_length=50,
        description="your own command profiles, [{name, command}], chosen per provider or "
        "channel like the built-in ones: the command's MPEG-TS output on stdout is what "
        "viewers get",
    )


class VodSettings(BaseModel):
    series_info_concurrency: int = Field(
        8, ge=1, le=64, description="get_series_info requests in flight at once per provider"
    )
    fetch_movie_info: bool = Field(
        False, description="fetch get_vod_info (plot, imdb id…) for each new movie"
    )
    strm_after_sync: bool = Field(
        True, description="submit a strm_generate job after a VOD sync that changed something"
    )


class StrmSettings(BaseModel):
    flavour: Literal["jellyfin", "emby", "kodi", "plex"] = Field(
        "jellyfin", description="naming of id tags: [tmdbid-N], [tmdbid=N] or {tmdb-N}"
    )
    group_by: Literal["none", "genre", "category"] = Field(
        "none", description="extra folder level under Movies/ and TV Shows/"
    )
    nfo: bool = Field(False, description="write .nfo sidecars (movie, tvshow, episode)")
    url_mode: Literal["play", "direct"] = Field(
        "play",
        description="play: strmline /play URLs with a token; direct: provider URLs (credentials on disk)",
    )
    token_user: str | None = Field(
        None, description="user whose API token goes into .strm URLs; default: the first admin"
    )
    play_mode: Literal["redirect", "proxy"] = Field(
        "redirect", description="/play/movie and /play/episode: redirect, or proxy with Range"
    )
    live: bool = Field(False, description="also write live channels under 'Live TV/'")
    live_by_category: bool = Field(False, description="live channel files in category folders")
    kodi_headers: bool = Field(
        False,
        description="url_mode=direct: add the provider's headers to the URL the Kodi way "
        "(url|User-Agent=…&Referer=…); Jellyfin and Emby read that suffix as part of the URL",
    )
    media_server_url: OptionalUrl = Field(
        None, description="Jellyfin/Emby URL to ask for a library rescan after a run"
    )
    media_server_api_key: SecretStr | None = None


class EpgSettings(BaseModel):
    past_days: float = Field(1.0, ge=0, description="keep programmes that ended this many days ago")
    future_days: float = Field(14.0, gt=0, description="keep programmes starting this far ahead")
    fuzzy_threshold: int = Field(
        88, ge=50, le=100, description="name similarity needed to match a channel to a guide"
    )
    auto_sources: bool = Field(
        True, description="add a guide source for every provider that offers one"
    )
    batch_size: int = Field(5000, ge=100, le=50000, description="programmes per bulk statement")
    max_download_mb: int = Field(1024, ge=1, description="refuse guides larger than this")
    max_xml_mb: int = Field(
        4096, ge=1, description="refuse guides larger than this once decompressed"
    )
    max_programmes: int = Field(
        5_000_000, ge=1, description="refuse guides with more programmes than this"
    )
    shrink_guard: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="refuse a guide with fewer than this share of the last good programme count",
    )
    output_days: int = Field(7, ge=1, le=31, description="days of guide in /output/xmltv")
    refresh_cron: str | None = Field(
        "0 4 * * *",
        description="when guides without their own schedule are refreshed (cron, UTC); "
        "empty: every refresh_minutes",
    )
    refresh_minutes: int = Field(
        1440, ge=15, description="guide refresh interval used when refresh_cron is empty"
    )


class DiscoverySettings(BaseModel):
    """HDHomeRun discovery (UDP 65001), SSDP (UDP 1900) and a tuner at the server root, so
    media servers' "detect devices" find strmline. Off by default: it opens UDP ports on every
    interface and tells anyone on the network the announced user's tuner URL (its API token).
    The sockets are opened at start: their settings are deployment-level (env or .env)."""

    enabled: bool = Field(
        False,
        description="answer HDHomeRun discovery (UDP) and SSDP searches on the network",
        json_schema_extra={"editable": False},
    )
    bind: str = Field(
        "0.0.0.0",
        description="address the discovery sockets listen on (0.0.0.0: every interface)",
        json_schema_extra={"editable": False},
    )
    hdhr_port: int = Field(
        65001,
        ge=0,
        le=65535,
        description="SiliconDust discovery UDP port",
        json_schema_extra={"editable": False},
    )
    ssdp: bool = Field(
        True,
        description="also answer SSDP M-SEARCH (when enabled)",
        json_schema_extra={"editable": False},
    )
    ssdp_port: int = Field(
        1900, ge=0, le=65535, description="SSDP UDP port", json_schema_extra={"editable": False}
    )
    ssdp_notify: bool = Field(
        False,
        description="also multicast SSDP NOTIFY announcements every notify_seconds",
        json_schema_extra={"editable": False},
    )
    notify_seconds: float = Field(
        900.0,
        ge=30,
        description="interval of SSDP NOTIFY messages",
        json_schema_extra={"editable": False},
    )
    http_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="web server port in announced URLs when base_url is not set; default: "
        "base_url's port",
    )
    user: str | None = Field(
        None,
        description="user whose tuner (and API token) is announced and served at the root; "
        "default: the first admin",
    )
    root_tuner: bool = Field(
        False,
        description="serve that user's tuner at the server root (/discover.json, "
        "/lineup.json…) for clients that only take IP:port; no token needed there",
        json_schema_extra={"editable": False},
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
    sources_dir: Path | None = Field(
        None,
        description="the only folder local playlist and guide files are read from (providers "
        "and guide sources given a path); default: <data dir>/sources, created at start",
    )
    base_url: PublicUrl = Field(
        "http://127.0.0.1:8000",
        description="public URL of this server, used in playlists and .strm files",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="token signing key, the same for every process; when not set, one is "
        "generated once and kept in the database",
    )

    sync: SyncSettings = SyncSettings()
    match: MatchSettings = MatchSettings()
    http: HttpSettings = HttpSettings()
    jobs: JobSettings = JobSettings()
    epg: EpgSettings = EpgSettings()
    vod: VodSettings = VodSettings()
    strm: StrmSettings = StrmSettings()
    health: HealthSettings = HealthSettings()
    playback: PlaybackSettings = PlaybackSettings()
    outputs: OutputSettings = OutputSettings()
    logos: LogoSettings = LogoSettings()
    discovery: DiscoverySettings = DiscoverySettings()

    @property
    def db_url(self) -> str:
        if self.database_url:
            return normalize_db_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'strmline.db').resolve()}"

    @property
    def strm_dir(self) -> Path:
        return self.output_dir or self.data_dir / "strm"

    @property
    def source_root(self) -> Path:
        """Where local source files must be (see ``strmline.providers.local``)."""
        return self.sources_dir or self.data_dir / "sources"

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir

    def get_secret_key(self) -> str:
        """The signing key: configured, or the database's, set here at startup by
        ``strmline.services.signing_key.ensure`` (never one made per process: two API processes
        must accept each other's tokens)."""
        if self.secret_key is None:
            raise ConfigError(
                "no signing key loaded: set STRMLINE_SECRET_KEY, or start through the app, "
                "which keeps one shared key in the database"
            )
        return self.secret_key.get_secret_value()


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
