"""The ``Idempotency-Key`` header in the OpenAPI schema."""

from __future__ import annotations

import re
from typing import Any

from config.idempotency.decorators import HEADER

PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": "Send a unique value (a UUID) to make a retried POST safe: the same key and request "
    "get the first response again and change nothing more; the same key with another request gets "
    "422. Kept for 24 hours.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[!#-~ ]{1,255}$"},
}


def add_idempotency_key_header(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular post-processing hook: document the header, and its 422, on every POST whose
    view method is ``@idempotent``."""
    idempotent_paths = {
        _shape(path)
        for path, _, method, view in generator.endpoints
        if method == "POST" and getattr(getattr(view.cls, "post", None), "idempotent", False)
    }
    error_ref = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        operation = operations.get("post")
        if _shape(path) not in idempotent_paths or not isinstance(operation, dict):
            continue
        operation.setdefault("parameters", []).append(PARAMETER)
        operation["responses"].setdefault(
            "422",
            {
                "description": "This Idempotency-Key was used for a different request.",
                "content": {"application/json": {"schema": error_ref}},
            },
        )
    return result


def _shape(path: str) -> str:
    """A path with its parameters' names left out: the schema may rename them (pk -> id)."""
    return re.sub(r"\{[^}]*\}", "{}", path)
