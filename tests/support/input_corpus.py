"""Hostile input for every parameter and body field an OpenAPI document declares: NUL, lone
surrogates, overlong text, and dates and numbers outside what PostgreSQL (or any sane client)
uses. Pure: builds requests from a document and a few known-good values; sending them is the
test's job."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

NUL = "korpus\x00uji"
LONE_SURROGATE = "korpus\ud800uji"
MEGABYTE_OF_TEXT = 1_000_000
LONGEST_URL_PART = 8_000  # proxies refuse longer request lines anyway
LARGE_NUMBERS = (2**63, -(2**63) - 1, 10**30)
DATES = ("9999-12-31", "0001-01-01")
DATE_TIMES = ("9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+07:00", "9999-12-31T23:59:59Z")
MOST_LEAVES_PER_BODY = 30

# Values that satisfy a field's own rules, by field name, so a hostile value in one field is
# not refused because of another.
KNOWN_STRINGS: dict[str, str] = {
    "category": "lampu_jalan",
    "phone": "0813-1111-2222",
    "email": "korpus@example.com",
    "address": "korpus@example.com",
    "department": "DISHUB",
    "to_department": "DLHK",
    "lead_department": "DISHUB",
    "endpoint": "https://push.example.com/korpus",
    "p256dh": "B" + "A" * 86,
    "auth": "A" * 22,
    "url": "https://hooks.example.com/korpus",
    "language": "id",
    "channel": "email",
    "visibility": "reporter",
    "to": "terverifikasi",
    "kind": "pengaduan",
    "privacy": "publik",
    "actor_role": "city_admin",
    "description": "Lampu PJU di Jl. Korpus mati sejak kemarin malam",
    "reason": "pemeriksaan masukan korpus",
    "text": "informasi tambahan dari pelapor",
}


@dataclass(frozen=True)
class Case:
    """One request with one hostile value in one place."""

    method: str
    path: str  # with path parameters filled in (percent-encoded)
    where: str  # e.g. "body.location.address", "query.q", "path.complaint_id"
    value_name: str  # e.g. "NUL", "lone surrogate", "10x maxLength"
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    json_text: str | None = None  # serialised with ensure_ascii, so lone surrogates survive
    form: Mapping[str, str] | None = None
    files: Mapping[str, tuple[str, bytes, str]] | None = None
    must_refuse: bool = False  # NUL and lone surrogates: only 422 will do

    def __str__(self) -> str:
        return f"{self.method} {self.path.split('?')[0]} {self.where}={self.value_name}"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    parameters: tuple[dict[str, Any], ...]
    body_schema: dict[str, Any] | None
    body_type: str | None


def operations(document: Mapping[str, Any]) -> Iterator[Operation]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = (operation.get("requestBody") or {}).get("content") or {}
            body_type = next(iter(content), None)
            yield Operation(
                method=method.upper(),
                path=path,
                parameters=tuple(operation.get("parameters") or ()),
                body_schema=content[body_type]["schema"] if body_type else None,
                body_type=body_type,
            )


class Schemas:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self._components = document.get("components", {}).get("schemas", {})

    def resolve(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        """The schema itself, following `$ref` and taking the non-null branch of `anyOf`."""
        while True:
            if "$ref" in schema:
                schema = self._components[schema["$ref"].rsplit("/", 1)[-1]]
                continue
            branches = [branch for branch in schema.get("anyOf", ()) if branch.get("type") != "null"]
            if branches:
                merged = {key: value for key, value in schema.items() if key != "anyOf"}
                schema = {**branches[0], **merged}
                continue
            return dict(schema)

    def example(self, schema: Mapping[str, Any], name: str = "") -> Any:
        """A value the schema accepts (best effort: patterns are met through `KNOWN_STRINGS`)."""
        schema = self.resolve(schema)
        if "enum" in schema:
            known = KNOWN_STRINGS.get(name)
            return known if known in schema["enum"] else schema["enum"][0]
        if "default" in schema and schema["default"] is not None:
            return schema["default"]
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            return {
                key: self.example(sub, key)
                for key, sub in schema.get("properties", {}).items()
                if not _hard_to_satisfy(self.resolve(sub)) or key in schema.get("required", ())
            }
        if kind == "array":
            count = max(schema.get("minItems", 0), 1)
            return [self.example(schema.get("items", {}), name) for _ in range(count)]
        if kind == "integer":
            return int(schema.get("minimum", 1))
        if kind == "number":
            return schema.get("examples", [0.5])[0]
        if kind == "boolean":
            return False
        return _string(schema, name)


def _hard_to_satisfy(schema: Mapping[str, Any]) -> bool:
    return "pattern" in schema and schema.get("type") == "string"


def _string(schema: Mapping[str, Any], name: str) -> str:
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    if schema.get("format") == "email":
        return KNOWN_STRINGS["email"]
    if schema.get("format") == "date":
        return "2026-01-15"
    if schema.get("format") == "date-time":
        return "2026-01-15T08:00:00+07:00"
    text = KNOWN_STRINGS.get(name, "korpus uji")
    minimum, maximum = schema.get("minLength", 0), schema.get("maxLength")
    text = text.ljust(minimum, "x")
    return text[:maximum] if maximum else text


def overlong(schema: Mapping[str, Any], *, ceiling: int) -> tuple[str, str]:
    maximum = schema.get("maxLength")
    if maximum:
        length = min(10 * maximum, ceiling)
        return "x" * length, f"{length} chars (maxLength {maximum})"
    return "x" * ceiling, f"{ceiling} chars"


def hostile_values(
    schema: Mapping[str, Any], *, ceiling: int, surrogates_travel: bool = True
) -> Iterator[tuple[Any, str, bool]]:
    """(value, name, must_refuse) for one scalar of this schema. Lone surrogates travel only
    in JSON (as escapes); a URL or form percent-encodes UTF-8, which cannot hold them."""
    kind = schema.get("type")
    if kind == "integer":
        for number in LARGE_NUMBERS:
            yield number, str(number), False
        return
    if kind == "number":
        yield 1e308, "1e308", False
        yield -1e308, "-1e308", False
        return
    if kind == "boolean":
        return
    if schema.get("format") == "date":
        for date in DATES:
            yield date, date, False
    if schema.get("format") == "date-time":
        for moment in DATE_TIMES:
            yield moment, moment, False
    yield NUL, "NUL", True
    if surrogates_travel:
        yield LONE_SURROGATE, "lone surrogate", True
    value, name = overlong(schema, ceiling=ceiling)
    yield value, name, False


def leaves(value: Any, schema: Mapping[str, Any], schemas: Schemas, path: tuple = ()) -> Iterator[tuple[tuple, dict]]:
    """Every scalar in an example body, with its path and its (resolved) schema."""
    schema = schemas.resolve(schema)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key, item in value.items():
            yield from leaves(item, properties.get(key, {}), schemas, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:1]):
            yield from leaves(item, schema.get("items", {}), schemas, (*path, index))
    else:
        yield path, schema


def replaced(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: replaced(value[head], rest, new)}
    copy = list(value)
    copy[head] = replaced(copy[head], rest, new)
    return copy


def _spread(items: list, most: int) -> list:
    if len(items) <= most:
        return items
    step = len(items) / most
    return [items[int(i * step)] for i in range(most)]


def _fill(path: str, values: Mapping[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: quote(values[m.group(1)], safe=""), path)


@dataclass
class Baseline:
    """Known-good values: path parameters and required query parameters by name, and whole
    request bodies for operations whose example the schema cannot give."""

    path_values: dict[str, str]
    query_values: dict[str, str]
    bodies: dict[tuple[str, str], Any] = field(default_factory=dict)
    forms: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    extra_query: dict[tuple[str, str], dict[str, dict[str, Any]]] = field(default_factory=dict)


def cases(document: Mapping[str, Any], baseline: Baseline, *, skip: Callable[[Operation], bool]) -> Iterator[Case]:
    schemas = Schemas(document)
    for operation in operations(document):
        if skip(operation):
            continue
        yield from _operation_cases(operation, schemas, baseline)


def _operation_cases(operation: Operation, schemas: Schemas, baseline: Baseline) -> Iterator[Case]:
    key = (operation.method, operation.path)
    path_values = dict(baseline.path_values)
    required_query = {
        p["name"]: baseline.query_values[p["name"]]
        for p in operation.parameters
        if p["in"] == "query" and p.get("required")
    }
    body = baseline.bodies.get(key)
    if body is None and operation.body_type == "application/json":
        body = schemas.example(operation.body_schema)
    form = baseline.forms.get(key)

    def request(**changes: Any) -> dict[str, Any]:
        return {
            "method": operation.method,
            "path": _fill(operation.path, {**path_values, **changes.pop("path_values", {})}),
            "query": {**required_query, **changes.pop("query", {})},
            "json_text": changes.pop("json_text", None if body is None else json.dumps(body)),
            "form": changes.pop("form", form),
            "files": changes.pop("files", None),
            **changes,
        }

    query_parameters = {p["name"]: schemas.resolve(p["schema"]) for p in operation.parameters if p["in"] == "query"}
    query_parameters.update(baseline.extra_query.get(key, {}))
    for parameter in operation.parameters:
        if parameter["in"] != "path":
            continue
        schema = schemas.resolve(parameter["schema"])
        for value, name, must in hostile_values(schema, ceiling=LONGEST_URL_PART, surrogates_travel=False):
            yield Case(
                where=f"path.{parameter['name']}", value_name=name, must_refuse=must,
                **request(path_values={parameter["name"]: str(value)}),
            )
    for name, schema in query_parameters.items():
        if schema.get("type") == "array":
            schema = schemas.resolve(schema.get("items", {}))
        for value, value_name, must in hostile_values(schema, ceiling=LONGEST_URL_PART, surrogates_travel=False):
            yield Case(
                where=f"query.{name}", value_name=value_name, must_refuse=must, **request(query={name: str(value)})
            )
    for parameter in operation.parameters:
        # HTTP framing cannot carry NUL in a header (h11 refuses to send it, uvicorn's parser to
        # receive it), so headers only get overlong values.
        schema = schemas.resolve(parameter["schema"])
        if parameter["in"] == "header" and parameter["name"] != "authorization":
            value, name = overlong(schema, ceiling=LONGEST_URL_PART)
            yield Case(
                where=f"header.{parameter['name']}", value_name=name, **request(headers={parameter["name"]: value})
            )
    if body is not None:
        body_leaves = _spread(list(leaves(body, operation.body_schema, schemas)), MOST_LEAVES_PER_BODY)
        for path, schema in body_leaves:
            if schema.get("enum"):
                schema = {"type": "string"}
            for value, name, must in hostile_values(schema, ceiling=MEGABYTE_OF_TEXT):
                yield Case(
                    where="body." + ".".join(str(part) for part in path), value_name=name, must_refuse=must,
                    **request(json_text=json.dumps(replaced(body, path, value))),
                )
    if form is not None or operation.body_type == "multipart/form-data":
        yield from _form_cases(operation, schemas, form, request)


def _form_cases(operation: Operation, schemas: Schemas, form: Mapping[str, str] | None, request) -> Iterator[Case]:
    if form is None:
        properties = schemas.resolve(operation.body_schema).get("properties", {})
        fields = {name: schemas.resolve(schema) for name, schema in properties.items() if name != "file"}
        form = {name: schemas.example(schema, name) for name, schema in fields.items()}
        files = {"file": ("korpus.jpg", b"\xff\xd8\xff not really a photo", "image/jpeg")}
    else:
        fields = {name: {"type": "string"} for name in form}
        files = None
    for name, schema in fields.items():
        for value, value_name, must in hostile_values(schema, ceiling=MEGABYTE_OF_TEXT // 2, surrogates_travel=False):
            yield Case(
                where=f"form.{name}", value_name=value_name, must_refuse=must,
                **request(form={**form, name: str(value)}, files=files, json_text=None),
            )
