"""``/health/live`` and ``/health/ready``: plain Django views, anonymous, never
cached. ``ProbeMiddleware`` serves them ahead of every other middleware (no host check, no HTTPS
redirect, no session, no API authentication or throttling), so a load balancer's plain-HTTP probe
by IP address gets the real answer."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from editorial.observability import checks


@never_cache
@require_safe
def live(request: HttpRequest) -> HttpResponse:
    """The process answers. Touches neither the database nor the broker."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def ready(request: HttpRequest) -> HttpResponse:
    """Every check with its status, latency and message; 503 when a critical check fails."""
    results = checks.run_all()
    status = checks.overall(results)
    body = {
        "status": status,
        "checks": {
            result.name: {
                "status": checks.status_of(result),
                "latency_ms": result.latency_ms,
                "message": result.message,
            }
            for result in results
        },
    }
    return JsonResponse(body, status=503 if status == checks.FAILING else 200)
