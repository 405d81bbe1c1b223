"""The review dossier as a printable page in the admin (/admin/articles/article/<id>/dossier/),
for editors-in-chief and editors who may view the article; the article's page links to it
("Review dossier"). The same entries as the API, all of them on one page, with a print style."""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path
from django.utils import timezone

from articles.models import Article, ArticleVersion
from editorial.dossier.selectors import dossier_entries
from editorial.dossier.serializers import article_data, entry_data
from reviewers.roles import is_editor

KIND_LABELS = {
    "version_created": "Version written",
    "round_opened": "Review round opened",
    "review_assigned": "Review assigned",
    "decision": "Decision",
    "round_closed": "Review round closed",
    "transition": "Status changed",
    "webhook_delivery": "Webhook",
}


def may_read_dossier(user: Any) -> bool:
    """Editors and editors-in-chief who may view articles in the admin."""
    return is_editor(user) and user.has_perm("articles.view_article")


def dossier_page(site: AdminSite, request: HttpRequest, object_id: int) -> HttpResponse:
    if not may_read_dossier(request.user):
        raise PermissionDenied
    article = get_object_or_404(
        Article.objects.select_related("specialty", "current_version", "published_version"), pk=object_id
    )
    raw = request.GET.get("version")
    version = None
    if raw is not None:
        if not raw.isdigit():
            raise Http404("Give a version number.")
        version = ArticleVersion.objects.filter(article=article, number=int(raw)).first()
        if version is None:
            raise Http404("The article has no such version.")
    entries = [
        {
            **entry_data(entry),
            "at_local": timezone.localtime(entry.position.at),
            "label": KIND_LABELS[entry.kind],
        }
        for entry in dossier_entries(article, version)
    ]
    context = {
        **site.each_context(request),
        "title": f"Review dossier: {article.title}",
        "article": article,
        "summary": article_data(article),
        "version": version,
        "versions": list(article.versions.order_by("number").values_list("number", flat=True)),
        "entries": entries,
        "printed_at": timezone.localtime(),
        "opts": Article._meta,
    }
    return render(request, "editorial/dossier/print.html", context)


def install(site: AdminSite) -> None:
    """Serve the dossier page under ``site``, ahead of the article admin's own URLs (whose
    catch-all would take it for an object id)."""
    site_urls = site.get_urls

    def get_urls() -> list[URLPattern]:
        page = site.admin_view(lambda request, object_id: dossier_page(site, request, object_id))
        return [
            path("articles/article/<int:object_id>/dossier/", page, name="articles_article_dossier"),
            *site_urls(),
        ]

    site.get_urls = get_urls  # type: ignore[method-assign]
