"""Graph answers, read defensively: a field of an unexpected type is treated as absent.

Graph documents its shapes, but proxies, API versions and bugs do not always follow them; one
odd field must not become a crash of the whole poll ("internal error"). Where a missing value
matters (an id, a date), the caller still says so as a Problem or an InvalidResponse.
"""

from __future__ import annotations

from typing import Any


def obj(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def objects(value: Any) -> list[dict[str, Any]]:
    """The JSON objects of a list (anything else dropped); not a list: none."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def text(value: Any) -> str | None:
    """``value`` when it is a non-empty string, else None."""
    return value if isinstance(value, str) and value else None
