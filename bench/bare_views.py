"""The floor the API is measured against: plain Django views over the same selectors and rows,
each answering the same JSON as its API endpoint (tests/api/test_bench_api.py compares them), with
no DRF: no serializers, renderers, content negotiation, throttles, pagination or filter classes.
They check the same roles and sign-in (Django's session) as the API. Served only by the
benchmark's URLconf (bench/api_urls.py), never by the site's.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, JsonResponse

from articles import selectors as article_selectors
from articles.models import Article
from editorial import selectors as editorial_selectors
from editorial.public import selectors as public_selectors
from editorial.public.jsonld import medical_web_page
from reviewers.roles import Role, has_role, is_editor

PAGE = 20


def _at(value: datetime.datetime | None) -> str | None:
    # As DRF writes a date and time (UTC here): ISO 8601 with Z.
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _page(request: HttpRequest, rows: list[Any], item: Any) -> JsonResponse:
    more = len(rows) > PAGE
    results = [item(row) for row in rows[:PAGE]]
    next_link = request.build_absolute_uri(request.path + "?after=1") if more else None
    return JsonResponse({"next": next_link, "previous": None, "results": results})


def _get(queryset: Any, slug: str) -> Any:
    try:
        return queryset.get(slug=slug)
    except ObjectDoesNotExist:
        raise Http404 from None


def _refused() -> JsonResponse:
    return JsonResponse({"code": "permission_denied", "detail": "No."}, status=403)


def _article(article: Any) -> dict[str, Any]:
    return {
        "slug": article.slug,
        "title": article.title,
        "specialty": article.specialty.slug,
        "risk_level": article.risk_level,
        "status": article.status,
        "current_version": article.current_version_number,
        "published_version": article.published_version_number,
        "last_reviewed_at": _at(article.last_reviewed_at),
        "review_due_at": _at(article.review_due_at),
        "review_interval_days": article.review_interval_days,
        "created_by": article.created_by.username,
        "created_at": _at(article.created_at),
        "updated_at": _at(article.updated_at),
    }


def articles(request: HttpRequest) -> JsonResponse:
    if not is_editor(request.user):
        return _refused()
    rows = list(article_selectors.article_list().order_by("slug")[: PAGE + 1])
    return _page(request, rows, _article)


def article(request: HttpRequest, slug: str) -> JsonResponse:
    if not is_editor(request.user):
        return _refused()
    found = _get(article_selectors.article_list(), slug)
    data = _article(found)
    data["current_version_provenance"] = found.current_version_provenance
    data["allowed_actions"] = article_selectors.allowed_actions(found, request.user)
    return JsonResponse(data, headers={"ETag": found.etag()})


def versions(request: HttpRequest, slug: str) -> JsonResponse:
    if not is_editor(request.user):
        return _refused()
    rows = list(article_selectors.version_list(_get(Article.objects, slug))[: PAGE + 1])
    return _page(request, rows, _version)


def _version(version: Any) -> dict[str, Any]:
    return {
        "number": version.number,
        "title": version.title,
        "change_summary": version.change_summary,
        "author": version.author.username,
        "created_at": _at(version.created_at),
        "content_hash": version.content_hash,
        "provenance": version.provenance,
        "generator": version.generator,
        "model_version": version.model_version,
        "source_reference": version.source_reference,
    }


def assignments(request: HttpRequest) -> JsonResponse:
    if not (is_editor(request.user) or has_role(request.user, Role.BOARD_MEMBER)):
        return _refused()
    queryset = editorial_selectors.assignments_visible_to(request.user)
    rows = list(queryset.order_by("due_at", "pk")[: PAGE + 1])
    return _page(request, rows, _assignment)


def _assignment(assignment: Any) -> dict[str, Any]:
    reviewer = assignment.reviewer
    return {
        "id": assignment.pk,
        "article": assignment.round.article.slug,
        "version": assignment.version_number,
        "round": assignment.round_id,
        "reviewer": {
            "id": reviewer.pk,
            "display_name": reviewer.display_name,
            "credentials": reviewer.credentials,
        },
        "assigned_by": assignment.assigned_by.username,
        "assigned_at": _at(assignment.assigned_at),
        "due_at": _at(assignment.due_at),
        "overdue": assignment.overdue,
        "override_reason": assignment.override_reason,
        "state": assignment.state,
        "accepted_at": _at(assignment.accepted_at),
        "decision": assignment.decision or None,
        "comment": assignment.comment,
        "decided_content_hash": assignment.decided_content_hash,
        "decided_at": _at(assignment.decided_at),
        "decided_risk_level": assignment.decided_risk_level or None,
        "decided_specialty": assignment.decided_specialty.slug if assignment.decided_specialty else None,
        "decided_as_specialist": assignment.decided_as_specialist,
        "closed_at": _at(assignment.closed_at),
        "voided_at": _at(assignment.voided_at),
        "void_reason": assignment.void_reason,
    }


def public_articles(request: HttpRequest) -> JsonResponse:
    rows = list(public_selectors.public_articles()[: PAGE + 1])
    return _page(request, rows, _public_item)


def _public_item(article: Any) -> dict[str, Any]:
    badge = public_selectors.public_badge(article)
    return {
        "slug": article.slug,
        "title": article.shown_title,
        "badge": badge.name,
        "caution": badge.caution,
        "last_reviewed_at": _at(article.last_reviewed_at),
        "next_review_due_at": _at(article.review_due_at),
    }


def public_article(request: HttpRequest, slug: str) -> JsonResponse:
    page = public_selectors.public_page(slug)
    if page is None:
        raise Http404
    article, version = page.article, page.version
    return JsonResponse(
        {
            "slug": article.slug,
            "title": version.title,
            "body": version.body,
            "body_html": page.body_html,
            "badge": page.badge.name,
            "caution": page.badge.caution,
            "caution_text": page.badge.caution_text,
            "review": {
                "state": page.review.state,
                "reviewed_at": _at(page.review.reviewed_at),
                "summary": page.review.summary,
            },
            "last_reviewed_at": _at(article.last_reviewed_at),
            "next_review_due_at": _at(article.review_due_at),
            "reviewers": [
                {
                    "name": member.display_name,
                    "credentials": member.credentials,
                    "specialties": [specialty.name for specialty in member.specialties.all()],
                }
                for member in page.reviewers
            ],
            "references": [
                {
                    "citation": reference.citation,
                    "source": reference.source,
                    "year": reference.year,
                    "url": reference.url,
                    "doi": reference.doi,
                    "pmid": reference.pmid,
                }
                for reference in version.references.all()
            ],
            "content_hash": version.content_hash,
            "provenance": version.provenance,
            "generator": version.generator,
            "model_version": version.model_version,
            "source_reference": version.source_reference,
            "jsonld": medical_web_page(page),
        }
    )
