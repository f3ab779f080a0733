"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 01:48:12.662855
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import strmline.db.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column(
            "args",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("resource", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column(
            "result",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("trigger", sa.String(length=12), nullable=False),
        sa.Column("worker", sa.String(length=100), nullable=True),
        sa.Column("created_at", strmline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_finished_at"), ["finished_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_kind"), ["kind"], unique=False)
        batch_op.create_index("ix_jobs_resource_state", ["resource", "state"], unique=False)
        batch_op.create_index(
            "uq_jobs_active_resource",
            ["resource"],
            unique=True,
            sqlite_where=sa.text("state IN ('queued', 'running')"),
            postgresql_where=sa.text("state IN ('queued', 'running')"),
        )
        batch_op.create_index(batch_op.f("ix_jobs_state"), ["state"], unique=False)

    op.create_table(
        "merge_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("pattern_a", sa.String(length=300), nullable=False),
        sa.Column("pattern_b", sa.String(length=300), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merge_rules")),
    )
    with op.batch_alter_table("merge_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_merge_rules_kind"), ["kind"], unique=False)

    op.create_table(
        "providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=True),
        sa.Column("password", sa.String(length=200), nullable=True),
        sa.Column(
            "backup_urls",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("epg_url", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("output_format", sa.String(length=8), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("max_connections", sa.Integer(), nullable=True),
        sa.Column("refresh_minutes", sa.Integer(), nullable=True),
        sa.Column("refresh_cron", sa.String(length=100), nullable=True),
        sa.Column("vod_detect", sa.Boolean(), nullable=False),
        sa.Column("auto_epg", sa.Boolean(), nullable=False),
        sa.Column(
            "account",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("last_sync_at", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_sync_status", sa.String(length=16), nullable=True),
        sa.Column("last_sync_message", sa.Text(), nullable=True),
        sa.Column(
            "last_sync_counts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("last_good_entries", sa.Integer(), nullable=False),
        sa.Column("last_good_at", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_providers")),
        sa.UniqueConstraint("name", name=op.f("uq_providers_name")),
    )
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_providers_enabled"), ["enabled"], unique=False)
        batch_op.create_index(batch_op.f("ix_providers_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_providers_last_sync_at"), ["last_sync_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_providers_priority"), ["priority"], unique=False)

    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column(
            "value",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", strmline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("api_token", sa.String(length=64), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("last_login_at", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("api_token", name=op.f("uq_users_api_token")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_role"), ["role"], unique=False)

    op.create_table(
        "vod_movies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=400), nullable=False),
        sa.Column("search_title", sa.String(length=400), nullable=False),
        sa.Column("match_key", sa.String(length=400), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("tmdb_id", sa.String(length=20), nullable=True),
        sa.Column("imdb_id", sa.String(length=20), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("genre", sa.String(length=200), nullable=True),
        sa.Column("plot", sa.Text(), nullable=True),
        sa.Column("rating", sa.Float(), nullable=True),
        sa.Column("poster", sa.Text(), nullable=True),
        sa.Column(
            "info",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("strm_path", sa.Text(), nullable=True),
        sa.Column("strm_hash", sa.String(length=32), nullable=True),
        sa.Column("removed_at", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vod_movies")),
    )
    with op.batch_alter_table("vod_movies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vod_movies_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_vod_movies_imdb_id"), ["imdb_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vod_movies_match_key"), ["match_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_vod_movies_removed_at"), ["removed_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_vod_movies_search_title"), ["search_title"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_vod_movies_title"), ["title"], unique=False)
        batch_op.create_index(batch_op.f("ix_vod_movies_tmdb_id"), ["tmdb_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vod_movies_year"), ["year"], unique=False)

    op.create_table(
        "vod_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=400), nullable=False),
        sa.Column("search_title", sa.String(length=400), nullable=False),
        sa.Column("match_key", sa.String(length=400), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("tmdb_id", sa.String(length=20), nullable=True),
        sa.Column("imdb_id", sa.String(length=20), nullable=True),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("genre", sa.String(length=200), nullable=True),
        sa.Column("plot", sa.Text(), nullable=True),
        sa.Column("rating", sa.Float(), nullable=True),
        sa.Column("poster", sa.Text(), nullable=True),
        sa.Column(
            "info",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("strm_dir", sa.Text(), nullable=True),
        sa.Column("removed_at", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vod_series")),
    )
    with op.batch_alter_table("vod_series", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vod_series_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_vod_series_imdb_id"), ["imdb_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vod_series_match_key"), ["match_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_vod_series_removed_at"), ["removed_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_vod_series_search_title"), ["search_title"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_vod_series_title"), ["title"], unique=False)
        batch_op.create_index(batch_op.f("ix_vod_series_tmdb_id"), ["tmdb_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vod_series_year"), ["year"], unique=False)

    op.create_table(
        "epg_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("offset_minutes", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("auto", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("last_import_at", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.String(length=16), nullable=True),
        sa.Column("last_message", sa.Text(), nullable=True),
        sa.Column("channel_count", sa.Integer(), nullable=False),
        sa.Column("programme_count", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_epg_sources_provider_id_providers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_epg_sources")),
    )
    with op.batch_alter_table("epg_sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_epg_sources_enabled"), ["enabled"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_epg_sources_provider_id"), ["provider_id"], unique=False
        )

    op.create_table(
        "vod_episodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("season", sa.Integer(), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=400), nullable=True),
        sa.Column("plot", sa.Text(), nullable=True),
        sa.Column("air_date", sa.String(length=20), nullable=True),
        sa.Column("rating", sa.Float(), nullable=True),
        sa.Column(
            "info",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("strm_path", sa.Text(), nullable=True),
        sa.Column("strm_hash", sa.String(length=32), nullable=True),
        sa.Column("removed_at", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["vod_series.id"],
            name=op.f("fk_vod_episodes_series_id_vod_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vod_episodes")),
        sa.UniqueConstraint(
            "series_id", "season", "episode", name=op.f("uq_vod_episodes_series_id_season_episode")
        ),
    )
    with op.batch_alter_table("vod_episodes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vod_episodes_removed_at"), ["removed_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_vod_episodes_series_id"), ["series_id"], unique=False)

    op.create_table(
        "vod_movie_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("movie_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("provider_key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("container", sa.String(length=10), nullable=True),
        sa.Column("quality", sa.String(length=8), nullable=True),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("added_at", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_seen_sync", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("removed_at", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["movie_id"],
            ["vod_movies.id"],
            name=op.f("fk_vod_movie_sources_movie_id_vod_movies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_vod_movie_sources_provider_id_providers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vod_movie_sources")),
        sa.UniqueConstraint(
            "provider_id",
            "provider_key",
            name=op.f("uq_vod_movie_sources_provider_id_provider_key"),
        ),
    )
    with op.batch_alter_table("vod_movie_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vod_movie_sources_movie_id"), ["movie_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_vod_movie_sources_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_vod_movie_sources_removed_at"), ["removed_at"], unique=False
        )

    op.create_table(
        "vod_series_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("provider_key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("last_modified", sa.String(length=40), nullable=True),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("last_seen_sync", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("removed_at", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_vod_series_sources_provider_id_providers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["vod_series.id"],
            name=op.f("fk_vod_series_sources_series_id_vod_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vod_series_sources")),
        sa.UniqueConstraint(
            "provider_id",
            "provider_key",
            name=op.f("uq_vod_series_sources_provider_id_provider_key"),
        ),
    )
    with op.batch_alter_table("vod_series_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vod_series_sources_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_vod_series_sources_removed_at"), ["removed_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_vod_series_sources_series_id"), ["series_id"], unique=False
        )

    op.create_table(
        "epg_channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("xmltv_id", sa.String(length=200), nullable=False),
        sa.Column(
            "display_names",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("match_key", sa.String(length=300), nullable=True),
        sa.Column("icon", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["epg_sources.id"],
            name=op.f("fk_epg_channels_source_id_epg_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_epg_channels")),
        sa.UniqueConstraint(
            "source_id", "xmltv_id", name=op.f("uq_epg_channels_source_id_xmltv_id")
        ),
    )
    with op.batch_alter_table("epg_channels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_epg_channels_match_key"), ["match_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_epg_channels_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_epg_channels_xmltv_id"), ["xmltv_id"], unique=False)

    op.create_table(
        "vod_episode_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("provider_key", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("container", sa.String(length=10), nullable=True),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("last_seen_sync", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("removed_at", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["vod_episodes.id"],
            name=op.f("fk_vod_episode_sources_episode_id_vod_episodes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_vod_episode_sources_provider_id_providers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vod_episode_sources")),
        sa.UniqueConstraint(
            "provider_id",
            "provider_key",
            name=op.f("uq_vod_episode_sources_provider_id_provider_key"),
        ),
    )
    with op.batch_alter_table("vod_episode_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vod_episode_sources_episode_id"), ["episode_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_vod_episode_sources_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_vod_episode_sources_removed_at"), ["removed_at"], unique=False
        )

    op.create_table(
        "channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("search_name", sa.String(length=300), nullable=False),
        sa.Column("match_key", sa.String(length=300), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=True),
        sa.Column("region", sa.String(length=40), nullable=True),
        sa.Column("variant", sa.String(length=40), nullable=True),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("number", sa.Float(), nullable=True),
        sa.Column("logo", sa.Text(), nullable=True),
        sa.Column("tvg_id", sa.String(length=200), nullable=True),
        sa.Column("epg_channel_id", sa.Integer(), nullable=True),
        sa.Column("epg_match_method", sa.String(length=16), nullable=True),
        sa.Column("epg_match_confidence", sa.SmallInteger(), nullable=True),
        sa.Column("epg_manual", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("play_mode", sa.String(length=16), nullable=True),
        sa.Column("stream_count", sa.Integer(), nullable=False),
        sa.Column("active_stream_count", sa.Integer(), nullable=False),
        sa.Column("best_stream_id", sa.Integer(), nullable=True),
        sa.Column("best_quality", sa.String(length=8), nullable=True),
        sa.Column(
            "created_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["epg_channel_id"],
            ["epg_channels.id"],
            name=op.f("fk_channels_epg_channel_id_epg_channels"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
    )
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_channels_active_stream_count"), ["active_stream_count"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_channels_best_quality"), ["best_quality"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_channels_best_stream_id"), ["best_stream_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_channels_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_channels_country"), ["country"], unique=False)
        batch_op.create_index(batch_op.f("ix_channels_enabled"), ["enabled"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_channels_epg_channel_id"), ["epg_channel_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_channels_match_key"), ["match_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_channels_name"), ["name"], unique=False)
        batch_op.create_index("ix_channels_number_id", ["number", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_channels_region"), ["region"], unique=False)
        batch_op.create_index("ix_channels_search_name_id", ["search_name", "id"], unique=False)
        batch_op.create_index("ix_channels_stream_count_id", ["stream_count", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_channels_tvg_id"), ["tvg_id"], unique=False)

    op.create_table(
        "epg_programmes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("epg_channel_id", sa.Integer(), nullable=False),
        sa.Column("start", strmline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stop", strmline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("sub_title", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "categories",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("episode_num", sa.String(length=100), nullable=True),
        sa.Column("episode_onscreen", sa.String(length=100), nullable=True),
        sa.Column("icon", sa.Text(), nullable=True),
        sa.Column("rating", sa.String(length=50), nullable=True),
        sa.Column(
            "extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["epg_channel_id"],
            ["epg_channels.id"],
            name=op.f("fk_epg_programmes_epg_channel_id_epg_channels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_epg_programmes")),
    )
    with op.batch_alter_table("epg_programmes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_epg_programmes_epg_channel_id_start", ["epg_channel_id", "start"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_epg_programmes_stop"), ["stop"], unique=False)

    op.create_table(
        "favorites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("created_at", strmline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_favorites_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_favorites_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_favorites")),
        sa.UniqueConstraint("user_id", "channel_id", name=op.f("uq_favorites_user_id_channel_id")),
    )
    with op.batch_alter_table("favorites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_favorites_channel_id"), ["channel_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_favorites_user_id"), ["user_id"], unique=False)

    op.create_table(
        "streams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("provider_key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("group_title", sa.String(length=200), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("tvg_id", sa.String(length=200), nullable=True),
        sa.Column("tvg_name", sa.String(length=300), nullable=True),
        sa.Column("logo", sa.Text(), nullable=True),
        sa.Column("chno", sa.String(length=20), nullable=True),
        sa.Column(
            "headers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "attrs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("quality", sa.String(length=8), nullable=True),
        sa.Column("quality_score", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("codec", sa.String(length=16), nullable=True),
        sa.Column("fps", sa.Float(), nullable=True),
        sa.Column("bitrate", sa.Integer(), nullable=True),
        sa.Column("probed_at", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("checked_at", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ok_at", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_check_at", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("response_ms", sa.Integer(), nullable=True),
        sa.Column("failure_reason", sa.String(length=300), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("pinned_rank", sa.Integer(), nullable=True),
        sa.Column("merge_method", sa.String(length=16), nullable=False),
        sa.Column("merge_confidence", sa.SmallInteger(), nullable=False),
        sa.Column("merge_reason", sa.String(length=300), nullable=True),
        sa.Column("manual_override", sa.Boolean(), nullable=False),
        sa.Column("last_seen_sync", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("removed_at", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            strmline.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_streams_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_streams_provider_id_providers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_streams")),
        sa.UniqueConstraint(
            "provider_id", "provider_key", name=op.f("uq_streams_provider_id_provider_key")
        ),
    )
    with op.batch_alter_table("streams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_streams_active"), ["active"], unique=False)
        batch_op.create_index(batch_op.f("ix_streams_channel_id"), ["channel_id"], unique=False)
        batch_op.create_index("ix_streams_channel_id_rank", ["channel_id", "rank"], unique=False)
        batch_op.create_index(batch_op.f("ix_streams_checked_at"), ["checked_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_streams_group_title"), ["group_title"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_streams_manual_override"), ["manual_override"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_streams_merge_method"), ["merge_method"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_streams_next_check_at"), ["next_check_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_streams_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_streams_quality"), ["quality"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_streams_quality_score"), ["quality_score"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_streams_removed_at"), ["removed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_streams_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_streams_tvg_id"), ["tvg_id"], unique=False)

    # channels <-> streams reference each other; the cycle is closed once both exist.
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_channels_best_stream_id_streams"),
            "streams",
            ["best_stream_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "viewing_sessions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("stream_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("client", sa.String(length=100), nullable=True),
        sa.Column("started_at", strmline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", strmline.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("bytes_sent", sa.BigInteger(), nullable=False),
        sa.Column("switches", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_viewing_sessions_channel_id_channels"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["stream_id"],
            ["streams.id"],
            name=op.f("fk_viewing_sessions_stream_id_streams"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_viewing_sessions_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_viewing_sessions")),
    )
    with op.batch_alter_table("viewing_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_viewing_sessions_channel_id"), ["channel_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_viewing_sessions_ended_at"), ["ended_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_viewing_sessions_started_at"), ["started_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_viewing_sessions_stream_id"), ["stream_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_viewing_sessions_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_channels_best_stream_id_streams"), type_="foreignkey"
        )
    with op.batch_alter_table("viewing_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_viewing_sessions_user_id"))
        batch_op.drop_index(batch_op.f("ix_viewing_sessions_stream_id"))
        batch_op.drop_index(batch_op.f("ix_viewing_sessions_started_at"))
        batch_op.drop_index(batch_op.f("ix_viewing_sessions_ended_at"))
        batch_op.drop_index(batch_op.f("ix_viewing_sessions_channel_id"))

    op.drop_table("viewing_sessions")
    with op.batch_alter_table("streams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_streams_tvg_id"))
        batch_op.drop_index(batch_op.f("ix_streams_status"))
        batch_op.drop_index(batch_op.f("ix_streams_removed_at"))
        batch_op.drop_index(batch_op.f("ix_streams_quality_score"))
        batch_op.drop_index(batch_op.f("ix_streams_quality"))
        batch_op.drop_index(batch_op.f("ix_streams_provider_id"))
        batch_op.drop_index(batch_op.f("ix_streams_next_check_at"))
        batch_op.drop_index(batch_op.f("ix_streams_merge_method"))
        batch_op.drop_index(batch_op.f("ix_streams_manual_override"))
        batch_op.drop_index(batch_op.f("ix_streams_group_title"))
        batch_op.drop_index(batch_op.f("ix_streams_checked_at"))
        batch_op.drop_index("ix_streams_channel_id_rank")
        batch_op.drop_index(batch_op.f("ix_streams_channel_id"))
        batch_op.drop_index(batch_op.f("ix_streams_active"))

    op.drop_table("streams")
    with op.batch_alter_table("favorites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_favorites_user_id"))
        batch_op.drop_index(batch_op.f("ix_favorites_channel_id"))

    op.drop_table("favorites")
    with op.batch_alter_table("epg_programmes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_epg_programmes_stop"))
        batch_op.drop_index("ix_epg_programmes_epg_channel_id_start")

    op.drop_table("epg_programmes")
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channels_tvg_id"))
        batch_op.drop_index("ix_channels_stream_count_id")
        batch_op.drop_index("ix_channels_search_name_id")
        batch_op.drop_index(batch_op.f("ix_channels_region"))
        batch_op.drop_index("ix_channels_number_id")
        batch_op.drop_index(batch_op.f("ix_channels_name"))
        batch_op.drop_index(batch_op.f("ix_channels_match_key"))
        batch_op.drop_index(batch_op.f("ix_channels_epg_channel_id"))
        batch_op.drop_index(batch_op.f("ix_channels_enabled"))
        batch_op.drop_index(batch_op.f("ix_channels_country"))
        batch_op.drop_index(batch_op.f("ix_channels_category"))
        batch_op.drop_index(batch_op.f("ix_channels_best_stream_id"))
        batch_op.drop_index(batch_op.f("ix_channels_best_quality"))
        batch_op.drop_index(batch_op.f("ix_channels_active_stream_count"))

    op.drop_table("channels")
    with op.batch_alter_table("vod_episode_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vod_episode_sources_removed_at"))
        batch_op.drop_index(batch_op.f("ix_vod_episode_sources_provider_id"))
        batch_op.drop_index(batch_op.f("ix_vod_episode_sources_episode_id"))

    op.drop_table("vod_episode_sources")
    with op.batch_alter_table("epg_channels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_epg_channels_xmltv_id"))
        batch_op.drop_index(batch_op.f("ix_epg_channels_source_id"))
        batch_op.drop_index(batch_op.f("ix_epg_channels_match_key"))

    op.drop_table("epg_channels")
    with op.batch_alter_table("vod_series_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vod_series_sources_series_id"))
        batch_op.drop_index(batch_op.f("ix_vod_series_sources_removed_at"))
        batch_op.drop_index(batch_op.f("ix_vod_series_sources_provider_id"))

    op.drop_table("vod_series_sources")
    with op.batch_alter_table("vod_movie_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vod_movie_sources_removed_at"))
        batch_op.drop_index(batch_op.f("ix_vod_movie_sources_provider_id"))
        batch_op.drop_index(batch_op.f("ix_vod_movie_sources_movie_id"))

    op.drop_table("vod_movie_sources")
    with op.batch_alter_table("vod_episodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vod_episodes_series_id"))
        batch_op.drop_index(batch_op.f("ix_vod_episodes_removed_at"))

    op.drop_table("vod_episodes")
    with op.batch_alter_table("epg_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_epg_sources_provider_id"))
        batch_op.drop_index(batch_op.f("ix_epg_sources_enabled"))

    op.drop_table("epg_sources")
    with op.batch_alter_table("vod_series", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vod_series_year"))
        batch_op.drop_index(batch_op.f("ix_vod_series_tmdb_id"))
        batch_op.drop_index(batch_op.f("ix_vod_series_title"))
        batch_op.drop_index(batch_op.f("ix_vod_series_search_title"))
        batch_op.drop_index(batch_op.f("ix_vod_series_removed_at"))
        batch_op.drop_index(batch_op.f("ix_vod_series_match_key"))
        batch_op.drop_index(batch_op.f("ix_vod_series_imdb_id"))
        batch_op.drop_index(batch_op.f("ix_vod_series_category"))

    op.drop_table("vod_series")
    with op.batch_alter_table("vod_movies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vod_movies_year"))
        batch_op.drop_index(batch_op.f("ix_vod_movies_tmdb_id"))
        batch_op.drop_index(batch_op.f("ix_vod_movies_title"))
        batch_op.drop_index(batch_op.f("ix_vod_movies_search_title"))
        batch_op.drop_index(batch_op.f("ix_vod_movies_removed_at"))
        batch_op.drop_index(batch_op.f("ix_vod_movies_match_key"))
        batch_op.drop_index(batch_op.f("ix_vod_movies_imdb_id"))
        batch_op.drop_index(batch_op.f("ix_vod_movies_category"))

    op.drop_table("vod_movies")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_role"))

    op.drop_table("users")
    op.drop_table("settings")
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_providers_priority"))
        batch_op.drop_index(batch_op.f("ix_providers_last_sync_at"))
        batch_op.drop_index(batch_op.f("ix_providers_kind"))
        batch_op.drop_index(batch_op.f("ix_providers_enabled"))

    op.drop_table("providers")
    with op.batch_alter_table("merge_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_merge_rules_kind"))

    op.drop_table("merge_rules")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_state"))
        batch_op.drop_index("uq_jobs_active_resource")
        batch_op.drop_index("ix_jobs_resource_state")
        batch_op.drop_index(batch_op.f("ix_jobs_kind"))
        batch_op.drop_index(batch_op.f("ix_jobs_finished_at"))
        batch_op.drop_index(batch_op.f("ix_jobs_created_at"))

    op.drop_table("jobs")
