"""User-editable settings: described from the pydantic models, stored as ``group.key`` → JSON.

Which settings a person may change from the UI is derived from ``strmline.config.Settings``: every
nested group's fields, minus deployment-level ones (``NOT_EDITABLE``) and any field declared with
``json_schema_extra={"editable": False}``. A new group added to ``Settings`` shows up by itself.
Saved values override the environment; they are applied to the live ``Settings`` object in place,
so everything holding that object (the job runtime, the scheduler) sees them. Every save also
writes a new settings version, which each process (API, worker, beat, CLI) compares to its own to
re-read saved values (:mod:`strmline.services.settings_sync`).

A few top-level fields (``TOP_LEVEL``, e.g. the public ``base_url``) are editable too; they show
up as the ``server`` group and are stored as ``server.<name>``.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError, create_model
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.config import Settings
from strmline.db.base import utcnow
from strmline.db.models import Setting
from strmline.errors import ConfigError

log = logging.getLogger(__name__)

# Rows of the settings table that are not settings a person edits: the version every process
# compares to know when to re-read saved values (see strmline.services.settings_sync).
SYSTEM_PREFIX = "system:"
VERSION_KEY = SYSTEM_PREFIX + "settings_version"
# Chosen at deploy time, or needing a restart to take effect: not for the settings page.
NOT_EDITABLE = frozenset({"jobs", "sync.batch_size", "http.max_connections"})
# Top-level ``Settings`` fields a person may change, shown as one group of this name.
TOP_LEVEL_GROUP = "server"
TOP_LEVEL = ("base_url",)
_CONSTRAINTS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "enum",
)


def _top_level_model(settings_type: type[Settings]) -> type[BaseModel]:
    # Built from the Settings fields themselves, so their validators and limits apply unchanged.
    fields: dict[str, Any] = {
        name: (settings_type.model_fields[name].annotation, settings_type.model_fields[name])
        for name in TOP_LEVEL
    }
    model: type[BaseModel] = create_model("ServerSettings", **fields)
    return model


_TOP_LEVEL_MODELS: dict[type[Settings], type[BaseModel]] = {}


def top_level_model(settings: Settings) -> type[BaseModel]:
    kind = type(settings)
    if kind not in _TOP_LEVEL_MODELS:
        _TOP_LEVEL_MODELS[kind] = _top_level_model(kind)
    return _TOP_LEVEL_MODELS[kind]


def current(settings: Settings, group: str) -> BaseModel:
    """The live values of a group (the ``server`` group is a view of top-level fields)."""
    if group == TOP_LEVEL_GROUP:
        # Not validated again: the live values are what they are, shown as they are.
        return top_level_model(settings).model_construct(
            **{name: getattr(settings, name) for name in TOP_LEVEL}
        )
    value: BaseModel = getattr(settings, group)
    return value


def groups(settings: Settings) -> dict[str, type[BaseModel]]:
    """The editable groups of ``Settings`` by name: ``server``, then the nested groups."""
    out: dict[str, type[BaseModel]] = {TOP_LEVEL_GROUP: top_level_model(settings)}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, BaseModel) and name not in NOT_EDITABLE:
            out[name] = type(value)
    return out


def editable_fields(model: type[BaseModel], group: str) -> list[str]:
    names = []
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if f"{group}.{name}" in NOT_EDITABLE or extra.get("editable") is False:
            continue
        names.append(name)
    return names


def editable_keys(settings: Settings) -> list[str]:
    return [
        f"{group}.{name}"
        for group, model in groups(settings).items()
        for name in editable_fields(model, group)
    ]


def describe(settings: Settings, overridden: set[str]) -> dict[str, dict[str, Any]]:
    """Every editable setting with its value, default, description, type and constraints."""
    out: dict[str, dict[str, Any]] = {}
    for group, model in groups(settings).items():
        schema = model.model_json_schema()
        live = current(settings, group)
        entries: dict[str, Any] = {}
        for name in editable_fields(model, group):
            info = model.model_fields[name]
            prop = schema.get("properties", {}).get(name, {})
            kind, nullable, constraints = _type_of(prop)
            entries[name] = {
                "value": getattr(live, name),
                "default": info.get_default(call_default_factory=True),
                "description": info.description or prop.get("description"),
                "type": kind,
                "nullable": nullable,
                "constraints": constraints,
                "overridden": f"{group}.{name}" in overridden,
            }
        if entries:
            out[group] = entries
    return out


def _type_of(prop: dict[str, Any]) -> tuple[str, bool, dict[str, Any]]:
    """(JSON type, accepts null, constraints) from a field's JSON schema."""
    variants = prop.get("anyOf") or [prop]
    nullable = any(v.get("type") == "null" for v in variants)
    main: dict[str, Any] = next((v for v in variants if v.get("type") != "null"), {})
    kind = str(main.get("type") or ("string" if "enum" in main else "any"))
    constraints = {k: main[k] for k in _CONSTRAINTS if k in main}
    if "const" in main:
        constraints["enum"] = [main["const"]]
    return kind, nullable, constraints


async def load(*, session: AsyncSession, settings: Settings) -> dict[str, Any]:
    """Saved overrides of editable settings (unknown or retired keys are ignored)."""
    rows = await session.execute(
        select(Setting.key, Setting.value).where(Setting.key.in_(editable_keys(settings)))
    )
    return {key: value for key, value in rows}


def validate(settings: Settings, changes: dict[str, Any]) -> dict[str, BaseModel]:
    """New group objects with ``changes`` (``{group: {key: value}}``) applied, all validated.

    ConfigError (→ 422) names the offending ``group.key`` in ``details["field"]``. Every group is
    validated before anything is returned, so one bad value rejects the whole change.
    """
    known = groups(settings)
    out: dict[str, BaseModel] = {}
    for group, values in changes.items():
        model = known.get(group)
        if model is None:
            raise ConfigError(f"no settings group {group!r}", details={"field": group})
        if not isinstance(values, dict):
            raise ConfigError(f"{group}: expected an object of settings", details={"field": group})
        allowed = editable_fields(model, group)
        for key in values:
            if key not in allowed:
                raise ConfigError(
                    f"{group}.{key} is not an editable setting", details={"field": f"{group}.{key}"}
                )
        # The server group holds only what was sent: its fields are applied one by one, and
        # applying an unsent base_url would mark it as configured (see outputs.common.public_base).
        merged = (
            values if group == TOP_LEVEL_GROUP else current(settings, group).model_dump() | values
        )
        try:
            out[group] = model.model_validate(merged)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join([group, *(str(p) for p in err.get("loc", ()))])
            raise ConfigError(
                f"{field}: {err.get('msg', 'invalid value')}",
                # Through pydantic's JSON: a validator's ValueError in "ctx" is no JSON value.
                details={"field": field, "errors": json.loads(exc.json(include_url=False))},
            ) from None
    return out


async def save(*, session: AsyncSession, changes: dict[str, dict[str, Any]]) -> str | None:
    """Upsert the changed keys and a new settings version; only the caller's unit of work commits.

    Returns the new version (None when nothing changed), for :meth:`SettingsWatch.announce`.
    """
    now = utcnow()
    rows = [
        {"key": f"{group}.{key}", "value": value, "updated_at": now}
        for group, values in changes.items()
        for key, value in values.items()
    ]
    if not rows:
        return None
    # A new random token rather than a counter: readers only compare it, and writing it needs no
    # read of the old value, so two saves at once cannot both claim the same number.
    version = secrets.token_hex(8)
    await upsert(session, [*rows, {"key": VERSION_KEY, "value": version, "updated_at": now}])
    return version


async def upsert(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT (key) DO UPDATE of ``settings`` rows (key, value, updated_at)."""
    dialect: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(Setting)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[Setting.key],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        ),
        rows,
    )


async def read_version(session: AsyncSession) -> str:
    """The version saved values are at ("" before the first save): one primary-key read."""
    value = await session.scalar(select(Setting.value).where(Setting.key == VERSION_KEY))
    return str(value) if value is not None else ""


def apply(settings: Settings, new_groups: dict[str, BaseModel]) -> None:
    # Replace the group objects rather than mutating their fields: a reader that already took
    # ``settings.sync`` keeps a consistent snapshot.
    for group, value in new_groups.items():
        if group == TOP_LEVEL_GROUP:
            for name in value.model_fields_set:
                setattr(settings, name, getattr(value, name))
        else:
            setattr(settings, group, value)


@dataclass(frozen=True)
class Baseline:
    """What a process's settings were before saved values went on top: the environment's."""

    groups: dict[str, BaseModel]
    top_level: dict[str, Any]
    top_level_set: frozenset[str]

    @classmethod
    def of(cls, settings: Settings) -> Baseline:
        return cls(
            groups={g: current(settings, g) for g in groups(settings) if g != TOP_LEVEL_GROUP},
            top_level={name: getattr(settings, name) for name in TOP_LEVEL},
            top_level_set=frozenset(n for n in TOP_LEVEL if n in settings.model_fields_set),
        )


def apply_saved_values(
    settings: Settings, saved: dict[str, Any], baseline: Baseline | None = None
) -> list[str]:
    """Put ``saved`` (``group.key`` → value, as :func:`load` returns) on ``settings``.

    On top of ``baseline`` when given, so a value no longer saved goes back to the environment's;
    else on top of the live values. A saved value its model refuses now (a constraint tightened
    since) is skipped: the other value stays. Returns the names of the groups that changed.
    """
    by_group: dict[str, dict[str, Any]] = {}
    for key, value in saved.items():
        group, _, name = key.partition(".")
        by_group.setdefault(group, {})[name] = value
    changed = _apply_top_level(settings, by_group.get(TOP_LEVEL_GROUP, {}), baseline)
    for group, model in groups(settings).items():
        if group == TOP_LEVEL_GROUP:
            continue
        start = baseline.groups[group] if baseline else current(settings, group)
        values = start.model_dump()
        for name, value in by_group.get(group, {}).items():
            try:
                model.model_validate(values | {name: value})
            except ValidationError:
                log.warning(
                    "saved setting %s.%s=%r is not valid any more; ignored", group, name, value
                )
                continue
            values[name] = value
        new = model.model_validate(values)
        if new != current(settings, group):
            setattr(settings, group, new)
            changed.append(group)
    return changed


def _apply_top_level(
    settings: Settings, saved: dict[str, Any], baseline: Baseline | None
) -> list[str]:
    model = top_level_model(settings)
    changed = False
    for name in TOP_LEVEL:
        if name in saved:
            try:
                value = getattr(model.model_validate({name: saved[name]}), name)
            except ValidationError:
                log.warning(
                    "saved setting %s.%s is not valid any more; ignored", TOP_LEVEL_GROUP, name
                )
                continue
            configured = True
        elif baseline is not None:
            value, configured = baseline.top_level[name], name in baseline.top_level_set
        else:
            continue
        # Outputs tell a configured public URL from the default one by the fields set.
        if value != getattr(settings, name) or configured != (name in settings.model_fields_set):
            setattr(settings, name, value)
            if not configured:
                settings.model_fields_set.discard(name)
            changed = True
    return [TOP_LEVEL_GROUP] if changed else []


async def apply_saved(factory: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    """Saved values over the environment, once (a process that runs on keeps a SettingsWatch)."""
    async with factory() as session:
        saved = await load(session=session, settings=settings)
    apply_saved_values(settings, saved)
