"""User-editable settings: described from the pydantic models, stored as ``group.key`` → JSON.

Which settings a person may change from the UI is derived from ``strmline.config.Settings``: every
nested group's fields, minus deployment-level ones (``NOT_EDITABLE``) and any field declared with
``json_schema_extra={"editable": False}``. A new group added to ``Settings`` shows up by itself.
Saved values override the environment; they are applied to the live ``Settings`` object in place,
so everything holding that object (the job runtime, the scheduler) sees them.

A few top-level fields (``TOP_LEVEL``, e.g. the public ``base_url``) are editable too; they show
up as the ``server`` group and are stored as ``server.<name>``.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ValidationError, create_model
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.config import Settings
from strmline.db.base import utcnow
from strmline.db.engine import session_scope
from strmline.db.models import Setting
from strmline.errors import ConfigError

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


async def save(*, session: AsyncSession, changes: dict[str, dict[str, Any]]) -> None:
    """Upsert the changed keys; only the caller's unit of work commits."""
    rows = [
        {"key": f"{group}.{key}", "value": value, "updated_at": utcnow()}
        for group, values in changes.items()
        for key, value in values.items()
    ]
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        pg = postgresql.insert(Setting)
        await session.execute(
            pg.on_conflict_do_update(
                index_elements=[Setting.key],
                set_={"value": pg.excluded.value, "updated_at": pg.excluded.updated_at},
            ),
            rows,
        )
    else:
        lite = sqlite.insert(Setting)
        await session.execute(
            lite.on_conflict_do_update(
                index_elements=[Setting.key],
                set_={"value": lite.excluded.value, "updated_at": lite.excluded.updated_at},
            ),
            rows,
        )


def apply(settings: Settings, new_groups: dict[str, BaseModel]) -> None:
    # Replace the group objects rather than mutating their fields: a reader that already took
    # ``settings.sync`` keeps a consistent snapshot.
    for group, value in new_groups.items():
        if group == TOP_LEVEL_GROUP:
            for name in value.model_fields_set:
                setattr(settings, name, getattr(value, name))
        else:
            setattr(settings, group, value)


async def apply_saved(factory: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    """At startup: saved overrides on top of the environment. Bad saved values are skipped."""
    async with session_scope(factory) as session:
        saved = await load(session=session, settings=settings)
    changes: dict[str, dict[str, Any]] = {}
    for key, value in saved.items():
        group, _, name = key.partition(".")
        changes.setdefault(group, {})[name] = value
    for group, values in changes.items():
        for name, value in values.items():
            try:
                apply(settings, validate(settings, {group: {name: value}}))
            except ConfigError:
                # A constraint tightened since the value was saved; the environment value wins.
                continue
