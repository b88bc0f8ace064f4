"""The slice of OData ``$filter`` and ``$orderby`` the fake Graph server understands.

Enough for what Outlook's message list accepts and followupd sends: comparisons
(``eq ne gt ge lt le``), ``and``/``or``/``not``, parentheses, string literals with ``''``,
unquoted date-times, booleans, and the lambda ``singleValueExtendedProperties/Any(ep: ...)``.
Anything else is a syntax error, which the server answers with 400 like Graph does.

:func:`inefficient` applies Outlook's rule for ``$orderby`` with ``$filter`` (documented under
"List messages"): the ordered properties must lead the filter, in the same order; otherwise
Graph answers ``InefficientFilter``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<dt>\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d)?)"
    r"|(?P<num>-?\d+(?:\.\d+)?)|(?P<punct>[(),:])|(?P<name>[A-Za-z_@][\w@./-]*))"
)
_OPS = {"eq", "ne", "gt", "ge", "lt", "le"}


class FilterError(ValueError):
    pass


Predicate = Callable[[dict[str, Any]], bool]


def tokenize(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise FilterError(f"Invalid filter clause near {text[pos : pos + 20]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _value(kind: str, text: str) -> Any:
    if kind == "str":
        return text[1:-1].replace("''", "'")
    if kind == "dt":
        return _datetime(text)
    if kind == "num":
        return float(text)
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    raise FilterError(f"Invalid literal {text!r}")


def _datetime(text: str) -> datetime:
    text = re.sub(r"(\.\d{6})\d+", r"\1", text).replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def resolve(item: dict[str, Any], path: str) -> Any:
    value: Any = item
    for part in path.split("/"):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def compare(left: Any, op: str, right: Any, exact: bool = False) -> bool:
    if isinstance(right, datetime) and isinstance(left, str):
        left = _datetime(left)
    if isinstance(left, str) and isinstance(right, str) and not exact:
        left, right = left.lower(), right.lower()
    if op == "eq":
        return left == right
    if op == "ne":
        return left != right
    if left is None or right is None:
        return False
    return {"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right}[op]


class Parser:
    """Recursive descent; also records the properties in the order they appear."""

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0
        self.properties: list[str] = []

    def parse(self) -> Predicate:
        predicate = self._or(None)
        if self.pos != len(self.tokens):
            raise FilterError(f"Invalid filter clause: unexpected {self.tokens[self.pos][1]!r}")
        return predicate

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> tuple[str, str]:
        token = self._peek()
        if token is None or (expected is not None and token[1].lower() != expected):
            raise FilterError(f"Invalid filter clause: expected {expected or 'more'}")
        self.pos += 1
        return token

    def _or(self, var: str | None) -> Predicate:
        left = self._and(var)
        while (t := self._peek()) and t[1].lower() == "or":
            self._take()
            right = self._and(var)
            left = (lambda a, b: lambda m: a(m) or b(m))(left, right)
        return left

    def _and(self, var: str | None) -> Predicate:
        left = self._unary(var)
        while (t := self._peek()) and t[1].lower() == "and":
            self._take()
            right = self._unary(var)
            left = (lambda a, b: lambda m: a(m) and b(m))(left, right)
        return left

    def _unary(self, var: str | None) -> Predicate:
        token = self._peek()
        if token and token[1].lower() == "not":
            self._take()
            inner = self._unary(var)
            return lambda m: not inner(m)
        if token and token[1] == "(":
            self._take()
            inner = self._or(var)
            self._take(")")
            return inner
        return self._comparison(var)

    def _comparison(self, var: str | None) -> Predicate:
        kind, name = self._take()
        if kind != "name":
            raise FilterError(f"Invalid filter clause: expected a property, got {name!r}")
        lowered = name.lower()
        if lowered.endswith("/any"):
            return self._lambda(name[: -len("/any")])
        if var is None:
            self.properties.append(name)
        elif not name.startswith(var + "/"):
            raise FilterError(f"Invalid filter clause: {name!r} is outside the lambda")
        _, op = self._take()
        if op.lower() not in _OPS:
            raise FilterError(f"Invalid filter clause: unsupported operator {op!r}")
        vkind, vtext = self._take()
        value = _value(vkind, vtext)
        path = name if var is None else name[len(var) + 1 :]
        exact = var is not None and path == "id"  # extended property ids: case-sensitive
        return lambda m: compare(resolve(m, path), op.lower(), value, exact)

    def _lambda(self, collection: str) -> Predicate:
        self.properties.append(collection)
        self._take("(")
        _, var = self._take()
        self._take(":")
        inner = self._or(var)
        self._take(")")

        def any_of(message: dict[str, Any]) -> bool:
            items = resolve(message, collection) or []
            return any(inner(i) for i in items if isinstance(i, dict))

        return any_of


def parse(text: str) -> tuple[Predicate, list[str]]:
    parser = Parser(text)
    return parser.parse(), parser.properties


def orderby(text: str) -> list[tuple[str, bool]]:
    """[(property, descending)]"""
    out = []
    for part in text.split(","):
        words = part.split()
        if not words:
            continue
        out.append((words[0], len(words) > 1 and words[1].lower() == "desc"))
    return out


def inefficient(filter_properties: list[str], ordered: list[str]) -> bool:
    """True when the $orderby properties do not lead the $filter in the same order."""
    seen: list[str] = []
    for prop in filter_properties:
        if prop.lower() not in seen:
            seen.append(prop.lower())
    return [p.lower() for p in ordered] != seen[: len(ordered)]
