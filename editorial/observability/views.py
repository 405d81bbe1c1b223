"""``/health/live``, ``/health/ready`` and ``/metrics``: plain Django views, anonymous, never
cached. ``ProbeMiddleware`` serves them ahead of every other middleware (no host check, no HTTPS
redirect, no session, no API authentication or throttling), so a load balancer's plain-HTTP probe
by IP address gets the real answer."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from editorial.observability import checks, metrics


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


@never_cache
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus's scrape: absent (404) unless METRICS_ENABLED; then only with
    ``Authorization: Bearer <METRICS_TOKEN>`` (401 otherwise)."""
    if not settings.METRICS_ENABLED:
        return JsonResponse({"code": "not_found", "detail": "Not found."}, status=404)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), settings.METRICS_TOKEN.encode()):
        response = JsonResponse(
            {
                "code": "not_authenticated",
                "detail": "Send the metrics token: Authorization: Bearer <METRICS_TOKEN>.",
            },
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics.exposition(), content_type=metrics.CONTENT_TYPE)
