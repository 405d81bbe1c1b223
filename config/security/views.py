"""The second-factor pages between the password and the admin: enrolment (first sign-in) and the
code check (every sign-in). ``SecondFactorMiddleware`` sends users here; these views only serve
users who owe a second factor and have not given it yet."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from config.security import two_factor
from config.security.forms import CodeForm

WRONG_CODE = (
    "That code is not right, or it was already used. Type the code your app shows now (a new one "
    "comes every 30 seconds), or an unused recovery code."
)


def _next(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("admin:index")


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def _not_owed(request: HttpRequest) -> HttpResponse | None:
    """Where to send a request that has no second factor to give here, if anywhere."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if two_factor.is_verified(request.user) or not two_factor.needs_second_factor(request.user):
        return HttpResponseRedirect(_next(request))
    return None


def _page(request: HttpRequest, template: str, title: str, **context: Any) -> TemplateResponse:
    return TemplateResponse(
        request,
        f"security/{template}",
        {**admin.site.each_context(request), "title": title, "next": _next(request), **context},
    )


def _refusal(verification: two_factor.Verification) -> str:
    if verification.retry_at is None:
        return WRONG_CODE
    seconds = max(1, math.ceil((verification.retry_at - timezone.now()).total_seconds()))
    unit = "second" if seconds == 1 else "seconds"
    return f"Too many wrong codes: wait {seconds} {unit}, then try again."


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Ask for a current code from the authenticator app, or a recovery code."""
    elsewhere = _not_owed(request)
    if elsewhere is not None:
        return elsewhere
    if not two_factor.has_authenticator(request.user):
        return HttpResponseRedirect(_with_next("security:enrol", _next(request)))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        verification = two_factor.verify(request.user, form.cleaned_data["code"])
        if verification.device is not None:
            two_factor.mark_verified(request, verification.device)
            return HttpResponseRedirect(_next(request))
        form.add_error("code", _refusal(verification))
    return _page(request, "verify.html", "Second factor", form=form)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: show its secret (QR code, key, otpauth link), take a current
    code from it, then show the recovery codes, once. Only for a user with no authenticator yet:
    one who has one gives its code instead (a password alone never sets up a new one)."""
    elsewhere = _not_owed(request)
    if elsewhere is not None:
        return elsewhere
    if two_factor.has_authenticator(request.user):
        return HttpResponseRedirect(_with_next("security:verify", _next(request)))
    device = two_factor.pending_authenticator(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        enrolment = two_factor.confirm_authenticator(request.user, device, form.cleaned_data["code"])
        if enrolment is not None:
            two_factor.mark_verified(request, enrolment.device)
            return _page(
                request, "recovery_codes.html", "Your recovery codes", codes=enrolment.recovery_codes
            )
        form.add_error("code", WRONG_CODE)
    uri = device.config_url
    return _page(
        request,
        "enrol.html",
        "Set up your second factor",
        form=form,
        otpauth_uri=uri,
        qr_svg=two_factor.qr_code_svg(uri),
        secret=two_factor.secret_for_people(device),
    )
