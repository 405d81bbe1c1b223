"""OpenAPI generation: every operation documents the errors any request can meet."""

from __future__ import annotations

from typing import Any

COMMON_ERRORS = {
    "400": "Malformed JSON, an invalid value, or a body that is too large.",
    "401": "No valid token (or session) was given.",
    "403": "Your role does not allow this.",
    "404": "Not found, or not visible to you.",
    "405": "The method is not allowed here.",
    "406": "The requested response format is not available.",
    "415": "The request body's media type is not supported (send application/json).",
    "429": "Too many requests; slow down (see the Retry-After header).",
}
ANONYMOUS_OK = {"400", "404", "405", "406", "429"}


def add_common_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular post-processing hook: add the common error responses to every operation
    that does not already describe them, all with the Error body."""
    error_ref = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            anonymous = not operation.get("security") or {} in operation.get("security", [])
            for code, description in COMMON_ERRORS.items():
                if anonymous and code not in ANONYMOUS_OK and not path.startswith("/api/v1/auth/"):
                    continue
                operation["responses"].setdefault(
                    code,
                    {"description": description, "content": {"application/json": {"schema": error_ref}}},
                )
    return result
