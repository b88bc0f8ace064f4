"""Route and validate requests against the discovery documents bundled with googleapiclient.

The fake Google server accepts a request only when the real API would: the path must match a
method of ``calendar.v3.json`` or ``gmail.v1.json``, every query parameter must be declared
(method or API level), typed and enumerated as declared, required ones present, repeated only
when ``repeated``; a JSON body must match the method's request schema with no unknown field.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import urllib.parse
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import googleapiclient

DOCS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"


@dataclass(frozen=True)
class Method:
    api: str  # "calendar" or "gmail"
    id: str  # e.g. "gmail.users.drafts.create"
    http_method: str
    pattern: re.Pattern[str]
    literal_weight: int
    doc: dict[str, Any]
    scopes: frozenset[str]


@cache
def document(name: str) -> dict[str, Any]:
    return json.loads((DOCS / f"{name}.json").read_text(encoding="utf-8"))


def _walk(resources: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for resource in resources.values():
        out.extend(resource.get("methods", {}).values())
        out.extend(_walk(resource.get("resources", {})))
    return out


def _compile(prefix: str, path: str) -> tuple[re.Pattern[str], int]:
    regex, weight = "", 0
    for part in re.split(r"(\{\+?[A-Za-z_]+\})", prefix + path):
        if part.startswith("{+"):
            regex += f"(?P<{part[2:-1]}>.+)"
        elif part.startswith("{"):
            regex += f"(?P<{part[1:-1]}>[^/]+)"
        else:
            regex += re.escape(part)
            weight += len(part)
    return re.compile(f"^{regex}$"), weight


@cache
def methods() -> list[Method]:
    out = []
    for api, name in (("calendar", "calendar.v3"), ("gmail", "gmail.v1")):
        doc = document(name)
        prefix = "/" + doc["servicePath"]
        for m in _walk(doc["resources"]):
            pattern, weight = _compile(prefix, m["path"])
            out.append(
                Method(
                    api,
                    m["id"],
                    m["httpMethod"],
                    pattern,
                    weight,
                    m,
                    frozenset(m.get("scopes", [])),
                )
            )
    return sorted(out, key=lambda m: -m.literal_weight)


def route(http_method: str, path: str) -> tuple[Method, dict[str, str]] | None:
    for method in methods():
        if method.http_method != http_method:
            continue
        match = method.pattern.match(path)
        if match:
            params = {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()}
            return method, params
    return None


def _check_value(name: str, spec: dict[str, Any], value: str) -> str | None:
    kind, fmt = spec.get("type"), spec.get("format")
    if kind == "integer":
        try:
            number = int(value)
        except ValueError:
            return f"parameter {name}: {value!r} is not an integer"
        if "minimum" in spec and number < int(spec["minimum"]):
            return f"parameter {name}: {number} is below {spec['minimum']}"
        if "maximum" in spec and number > int(spec["maximum"]):
            return f"parameter {name}: {number} is above {spec['maximum']}"
        if fmt == "uint32" and number < 0:
            return f"parameter {name}: {number} is negative"
    elif kind == "boolean" and value not in ("true", "false"):
        return f"parameter {name}: {value!r} is not true or false"
    elif kind == "string":
        if "enum" in spec and value not in spec["enum"]:
            return f"parameter {name}: {value!r} is not one of {spec['enum']}"
        if fmt == "date-time":
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                return f"parameter {name}: {value!r} is not an RFC 3339 timestamp"
            if parsed.tzinfo is None:
                return f"parameter {name}: {value!r} has no time zone offset"
        if fmt in ("uint64", "int64") and not re.fullmatch(r"-?\d+", value):
            return f"parameter {name}: {value!r} is not a {fmt}"
    return None


def validate_params(method: Method, query: dict[str, list[str]]) -> list[str]:
    doc = document("calendar.v3" if method.api == "calendar" else "gmail.v1")
    declared = {**doc.get("parameters", {}), **method.doc.get("parameters", {})}
    problems = []
    for name, values in query.items():
        spec = declared.get(name)
        if spec is None or spec.get("location") == "path":
            problems.append(f"unknown parameter {name!r} for {method.id}")
            continue
        if len(values) > 1 and not spec.get("repeated"):
            problems.append(f"parameter {name!r} of {method.id} given {len(values)} times")
        for value in values:
            problem = _check_value(name, spec, value)
            if problem:
                problems.append(f"{method.id}: {problem}")
    for name, spec in method.doc.get("parameters", {}).items():
        if spec.get("required") and spec.get("location") == "query" and name not in query:
            problems.append(f"{method.id}: required parameter {name!r} missing")
    return problems


def _check_schema(
    value: Any, schema: dict[str, Any], where: str, schemas: dict[str, Any]
) -> list[str]:
    if "$ref" in schema:
        return _check_schema(value, schemas[schema["$ref"]], where, schemas)
    kind = schema.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{where}: expected an object"]
        problems = []
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in props:
                problems += _check_schema(item, props[key], f"{where}.{key}", schemas)
            elif extra is not None:
                problems += _check_schema(item, extra, f"{where}.{key}", schemas)
            else:
                problems.append(f"{where}: unknown name {key!r} (Invalid JSON payload received)")
        return problems
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where}: expected a list"]
        items = schema.get("items", {})
        return [
            p
            for i, item in enumerate(value)
            for p in _check_schema(item, items, f"{where}[{i}]", schemas)
        ]
    if kind == "string":
        if not isinstance(value, str):
            return [f"{where}: expected a string"]
        if schema.get("format") == "byte":
            try:
                padded = value + "=" * (-len(value) % 4)
                base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
            except (binascii.Error, ValueError):
                return [f"{where}: not base64 data"]
        if schema.get("format") in ("int64", "uint64") and not re.fullmatch(r"-?\d+", value):
            return [f"{where}: not a {schema['format']} string"]
        if "enum" in schema and value not in schema["enum"]:
            return [f"{where}: {value!r} is not one of {schema['enum']}"]
        return []
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{where}: expected an integer"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{where}: expected true or false"]
    return []


def validate_body(method: Method, body: bytes, content_type: str) -> tuple[Any, list[str]]:
    request = method.doc.get("request")
    if request is None:
        return None, ([f"{method.id} takes no request body"] if body else [])
    if not content_type.startswith("application/json"):
        return None, [f"{method.id}: expected a JSON body, got {content_type or 'no content type'}"]
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, [f"{method.id}: the body is not JSON"]
    doc = document("calendar.v3" if method.api == "calendar" else "gmail.v1")
    return data, _check_schema(data, request, "body", doc["schemas"])
