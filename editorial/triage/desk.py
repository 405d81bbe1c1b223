"""The triage queue on the editors-in-chief's desk in the admin (/admin/desk/triage/): the top of
the queue with each score's parts, the board's free capacity, its throughput and the forecast.
Read only; a fixed number of queries (``selectors.summary`` and ``selectors.queue``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from editorial.triage import selectors
from reviewers.roles import is_editor_in_chief

if TYPE_CHECKING:
    from django.contrib.admin import AdminSite

SHOWN = 50


def _chiefs_only(function: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if not is_editor_in_chief(request.user):
            raise PermissionDenied("The triage queue is for editors-in-chief.")
        return function(request, **kwargs)

    view.__name__ = function.__name__
    return view


def install(site: AdminSite) -> None:
    """Serve the page under ``site``'s URLs, next to the chiefs' desk."""

    def queue_page(request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        return TemplateResponse(
            request,
            "editorial_triage/queue.html",
            {
                **site.each_context(request),
                "title": "Triage queue",
                "desk_url": reverse("admin:editorial_desk"),
                "summary": selectors.summary(now=now),
                "entries": selectors.queue(now=now, limit=SHOWN),
                "shown": SHOWN,
                "weights": settings.TRIAGE_WEIGHTS,
                "page_views_days": settings.TRIAGE_PAGE_VIEWS_DAYS,
                "auto_submit": settings.TRIAGE_AUTO_SUBMIT,
                "auto_submit_every": settings.TRIAGE_AUTO_SUBMIT_EVERY_MINUTES,
            },
        )

    site_urls = site.get_urls

    def get_urls() -> list[URLPattern]:
        page = path("desk/triage/", site.admin_view(_chiefs_only(queue_page)), name="editorial_triage_queue")
        return [page, *site_urls()]

    site.get_urls = get_urls  # type: ignore[method-assign]
