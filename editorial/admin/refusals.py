"""The admin's refusals as pages a person can act on (config/urls.py's ``handler403`` and
``handler404``).

A signed-in member of staff who opens an admin page their role does not allow (a board member on
the users' list, the chiefs' desk) or an object they may not see (another member's review) gets a
page in the admin's layout, with its navigation, that says what the page is for and links to
their own work. Anyone else gets Django's plain page, and the API its JSON error, as before.

An object out of sight stays a 404 with the same page as an id that names nothing (the admin's
rule, ``config.object_pages.NotFoundUnlessVisible``): the page names both possibilities, so it
tells nobody that a review they may not see exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import Resolver404, resolve, reverse
from django.views import defaults

from config.api.errors import not_found as api_not_found
from reviewers.roles import board_member_of, is_editor_in_chief

TEMPLATE = "admin/refused.html"
# The pages of one review (its page, its history, one historical record): a refusal there is
# about a review.
REVIEW_PAGES = {
    "editorial_reviewassignment_change",
    "editorial_reviewassignment_history",
    "editorial_reviewassignment_simple_history",
}


@dataclass(frozen=True)
class Link:
    text: str
    url: str


def _shown_in_admin(request: HttpRequest) -> bool:
    # A refusal raised before the authentication middleware ran has no user: the plain page.
    if not hasattr(request, "user") or not request.path.startswith(reverse("admin:index")):
        return False
    return admin.site.has_permission(request)


def _about_a_review(request: HttpRequest) -> bool:
    try:
        return resolve(request.path_info).url_name in REVIEW_PAGES
    except Resolver404:
        return False


def _where_to_go(request: HttpRequest) -> tuple[str, list[Link]]:
    """Where the signed-in person's own work is, by role: the start of a sentence and the links
    that end it ("Your reviews are in your review queue.")."""
    queue = reverse("admin:editorial_reviewassignment_changelist")
    if is_editor_in_chief(request.user):
        return (
            "Your work is on",
            [
                Link("the editors-in-chief's desk", reverse("admin:editorial_desk")),
                Link("the list of every review", queue),
            ],
        )
    if board_member_of(request.user) is not None:
        return "Your reviews are in", [Link("your review queue", queue)]
    return "What you can open is listed on", [Link("the admin's home page", reverse("admin:index"))]


def _render(request: HttpRequest, *, status: int, title: str, lead: str) -> HttpResponse:
    next_step, links = _where_to_go(request)
    context = {
        **admin.site.each_context(request),
        "title": title,
        "lead": lead,
        "next_step": next_step,
        "links": links,
        "status": status,
    }
    response = TemplateResponse(request, TEMPLATE, context, status=status)
    return response.render()


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not _shown_in_admin(request):
        return defaults.permission_denied(request, exception)
    if is_editor_in_chief(request.user):
        lead = "This page is for the system's administrators."
    else:
        lead = "This page is for editors-in-chief."
    return _render(request, status=403, title="Not open to you", lead=lead)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not _shown_in_admin(request):
        return api_not_found(request, exception)
    if _about_a_review(request):
        title = "Not one of your reviews"
        lead = (
            "This review is not among the reviews you may open: it is assigned to someone else, "
            "or there is no review with this number."
        )
    else:
        title = "Nothing to show here"
        lead = "There is nothing here that you may open: it belongs to someone else, or it does not exist."
    return _render(request, status=404, title=title, lead=lead)
