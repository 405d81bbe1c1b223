"""Lockout after repeated wrong passwords, wired into django-axes.

Every password form (the admin's login, the browsable API's at /api-auth/login/, and the token
endpoint) signs in through ``django.contrib.auth.authenticate``, so django-axes sees each failure.
It counts them in the default cache per username and per client address (``AXES_LOCKOUT_PARAMETERS``)
and refuses a username or address that reached ``SIGN_IN_FAILURE_LIMIT`` failures, whatever the
password, until ``SIGN_IN_LOCKOUT_MINUTES`` have passed without another attempt. A lockout on one
form holds on the others: they share the counts.
"""

from __future__ import annotations

import datetime
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from rest_framework.throttling import BaseThrottle

LOCKED_OUT_STATUS = 429
LOCKED_OUT_TEMPLATE = "security/locked_out.html"


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' check, for sign-ins that come from a request.

    Code that calls ``authenticate`` without a request (a management command, a test checking a
    password) is not a sign-in form anyone can reach; axes would refuse it with an exception.
    """

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


def client_address(request: HttpRequest) -> str | None:
    """The address lockouts count against: the same one the API's throttling uses (the client's,
    found through ``NUM_PROXIES`` trusted proxies), so that behind a proxy every user is not one
    address."""
    return BaseThrottle().get_ident(request)


def cool_off() -> datetime.timedelta:
    return get_cool_off() or datetime.timedelta(0)


def try_again_in() -> str:
    """How long a locked-out user waits ("15 minutes"). Each attempt while locked out restarts the
    wait (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT``), so the full cool-off is exact."""
    minutes = max(1, round(cool_off().total_seconds() / 60))
    return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"


def locked_out_message() -> str:
    return (
        "Too many failed sign-ins for this account or from this address. Try again in "
        f"{try_again_in()}; every attempt before then starts the wait again."
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: what a locked-out sign-in gets, 429 with Retry-After. A page for
    the HTML forms; the one error shape under /api/ (the token view raises its own, the same)."""
    retry_after = str(int(cool_off().total_seconds()))
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"code": "account_locked", "detail": locked_out_message()}, status=LOCKED_OUT_STATUS
        )
    else:
        context = {
            **admin.site.each_context(request),
            "title": "Too many failed sign-ins",
            "message": locked_out_message(),
        }
        response = TemplateResponse(request, LOCKED_OUT_TEMPLATE, context, status=LOCKED_OUT_STATUS)
        response.render()
    response["Retry-After"] = retry_after
    return response
