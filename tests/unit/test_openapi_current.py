"""One API contract: the checked-in OpenAPI document and the UI's types generated from it are current,
and every JSON route under /api has a typed response and a stable, unique operation id."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
GENERATED = FRONTEND / "src" / "types" / "generated.ts"
OPENAPI_TS = FRONTEND / "node_modules" / ".bin" / "openapi-typescript"
HOW = "run `.venv/bin/python scripts/export_openapi.py && cd frontend && npm run api:types`"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def _export_script() -> ModuleType:
    # scripts/ is not a package: load the exporter by path, so the test checks what it writes.
    spec = importlib.util.spec_from_file_location(
        "export_openapi", ROOT / "scripts" / "export_openapi.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def exporter() -> ModuleType:
    return _export_script()


@pytest.fixture(scope="module")
def schema(exporter: ModuleType) -> dict[str, Any]:
    built: dict[str, Any] = exporter.build_schema()
    return built


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def _typed(schema: dict[str, Any]) -> bool:
    """A named model, or a list/union of them: not ``{}`` nor a bare ``dict[str, Any]``."""
    if "$ref" in schema:
        return True
    if "anyOf" in schema or "oneOf" in schema:
        return all(_typed(s) for s in schema.get("anyOf", schema.get("oneOf", [])))
    kind = schema.get("type")
    if kind == "array":
        return _typed(schema.get("items", {}))
    if kind == "object":
        return bool(schema.get("properties"))
    return kind in {"string", "integer", "number", "boolean", "null"}


def test_checked_in_openapi_document_is_current(
    exporter: ModuleType, schema: dict[str, Any]
) -> None:
    target: Path = exporter.TARGET
    assert target.exists(), f"{target} is missing: {HOW}"
    assert target.read_text(encoding="utf-8") == exporter.render(schema), (
        f"{target} is stale: {HOW}"
    )


def test_the_export_is_deterministic(exporter: ModuleType, schema: dict[str, Any]) -> None:
    text = exporter.render(schema)
    assert text.endswith("}\n")
    # A second app built in the same process must give the same bytes (ids, component names).
    assert exporter.render(exporter.build_schema()) == text


def test_generated_types_match_the_checked_in_document(tmp_path: Path) -> None:
    # The pytest half of the check needs no node; where the UI's tooling is installed (make test
    # builds it first) it also proves generated.ts was made from the current openapi.json.
    if not OPENAPI_TS.exists() or shutil.which("node") is None:
        pytest.skip("frontend/node_modules is not installed (npm ci in frontend/)")
    out = tmp_path / "generated.ts"
    subprocess.run(
        [str(OPENAPI_TS), "openapi.json", "-o", str(out)],
        cwd=FRONTEND,
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert GENERATED.read_text(encoding="utf-8") == out.read_text(encoding="utf-8"), (
        f"{GENERATED} is stale: {HOW}"
    )


def test_every_api_json_route_has_a_typed_response_model(schema: dict[str, Any]) -> None:
    untyped = []
    for method, path, op in _operations(schema):
        if not path.startswith("/api/"):
            continue  # client outputs (M3U, XMLTV, HDHomeRun, Xtream) speak other formats
        success = {code: r for code, r in op["responses"].items() if code.startswith("2")}
        assert success, f"{method.upper()} {path} documents no success response"
        for code, response in success.items():
            content = response.get("content", {})
            if code == "204" or (content and "application/json" not in content):
                continue  # no body, or a stream (text/event-stream)
            body = content.get("application/json", {}).get("schema", {})
            if not _typed(body):
                untyped.append(f"{method.upper()} {path} {code}: {body}")
    assert not untyped, "JSON routes without a response model:\n" + "\n".join(untyped)


def test_operation_ids_are_explicit_unique_and_tag_prefixed(schema: dict[str, Any]) -> None:
    seen: dict[str, str] = {}
    for method, path, op in _operations(schema):
        where = f"{method.upper()} {path}"
        op_id = op.get("operationId", "")
        assert re.fullmatch(r"[a-z][a-z0-9_]*", op_id), f"{where}: operation id {op_id!r}"
        assert op_id not in seen, f"{where} and {seen.get(op_id)} share operation id {op_id}"
        seen[op_id] = where
        # FastAPI's default ids embed the path and method ({name}{path}_{method}): a renamed URL
        # would rename the UI's types. Ours are {tag}_{function}, or set by the route.
        tag = re.sub(r"\W+", "_", op["tags"][0]) if op.get("tags") else ""
        assert op_id.startswith(f"{tag}_"), f"{where}: {op_id} does not start with its tag {tag}"
    assert len(seen) > 50
