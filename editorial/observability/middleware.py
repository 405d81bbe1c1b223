"""Middleware: the probes served ahead of everything else, and the request id."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

PROBE_URLCONF = "editorial.observability.urls"

# What an incoming X-Request-ID may look like (a UUID, a proxy's hex id, a trace id); anything
# else is replaced, so a client cannot put arbitrary text into every log line of its request.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:=+/-]{1,128}")


class ProbeMiddleware:
    """First in MIDDLEWARE: answers the health and metrics URLs itself, before the host check,
    the HTTPS redirect, sessions and request logging. A load balancer probing by IP address over
    plain HTTP, once a second, gets the check's own answer and leaves no log line."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            match = resolve(request.path_info, urlconf=PROBE_URLCONF)
        except Resolver404:
            return self.get_response(request)
        response = match.func(request, *match.args, **match.kwargs)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response


class RequestIdMiddleware:
    """Before django-structlog's RequestMiddleware: keeps a sane incoming X-Request-ID (or makes
    one) for it to bind to every log line, and echoes it in the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if REQUEST_ID.fullmatch(incoming) else str(uuid.uuid4())
        request.META["HTTP_X_REQUEST_ID"] = request_id
        request.__dict__.pop("headers", None)  # request.headers is cached from META
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
