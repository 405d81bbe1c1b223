"""``@idempotent``: the ``Idempotency-Key`` header on a DRF view's ``post``."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from django.db import transaction
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from config.idempotency import services

HEADER = "Idempotency-Key"
# The draft makes the key an opaque string (a UUID is usual); printable ASCII, without the quotes
# a structured-header string would need, up to 255 characters.
VALID_KEY = re.compile(r"^[!#-~ ]{1,255}$")


def idempotent(post: Callable[..., Response]) -> Callable[..., Response]:
    """Make a view's ``post`` honour ``Idempotency-Key``: the first request with a key runs and its
    response is kept with the write, in one transaction; a retry with the same key and the same
    request gets that response again (``Idempotent-Replayed: true``) and writes nothing; the same
    key with another request gets 422. A request that fails (4xx/5xx raised by the view) keeps
    nothing, so it can be retried with its key. Without the header, nothing changes."""

    @functools.wraps(post)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return post(view, request, *args, **kwargs)
        if not VALID_KEY.match(key) or not request.user.is_authenticated:
            return Response(
                {
                    "code": "invalid_idempotency_key",
                    "detail": f"{HEADER} must be 1 to 255 printable ASCII characters (a UUID is best), "
                    "sent by a signed-in client.",
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        with transaction.atomic():
            claim = services.claim(
                user=request.user,
                key=key,
                method=request.method,
                path=request.get_full_path(),
                body=request.body,
            )
            if claim.earlier is not None:
                return _replay(claim)
            response = post(view, request, *args, **kwargs)
            services.record_response(
                claim.record,
                status_code=response.status_code,
                body=response.data,
                headers=dict(response.items()),
            )
        return response

    wrapper.idempotent = True  # type: ignore[attr-defined]  # read by the schema hook
    return wrapper


def _replay(claim: services.Claim) -> Response:
    earlier = claim.earlier
    if not claim.matches:
        return Response(
            {
                "code": "idempotency_key_reused",
                "detail": f"This {HEADER} was used for a different request ({earlier.method} {earlier.path}) "
                "in the last day. Send a new key for a new request.",
            },
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    response = Response(earlier.response_body, status=earlier.status_code, headers=earlier.response_headers)
    response["Idempotent-Replayed"] = "true"
    return response
