"""The review page's "What changed": the rendered diff against the base the round recorded when it
opened, the same for the member and the chief, open or closed, whatever was published since."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import ArticleStatus
from editorial import services
from tests.editorial.conftest import approve, assign, refreshed, submit
from tests.factories import ArticleFactory, BoardMemberFactory

pytestmark = pytest.mark.django_db

V1 = "Give six cycles.\n\n- Neutropenia is common."
V2 = V1 + "\n- HER2-targeted drugs can weaken the heart. Monitor cardiac function."
V3 = V2 + "\n- Premedicate with an antihistamine."
CARDIAC_ADDED = '<li class="diff-inserted"><ins>HER2-targeted drugs can weaken the heart.'
CARDIAC_DELETED = '<li class="diff-deleted"><del>HER2-targeted drugs can weaken the heart.'


def review_page(user, assignment, query=""):
    client = Client()
    client.force_login(user)
    response = client.get(reverse("admin:editorial_reviewassignment_change", args=[assignment.pk]) + query)
    assert response.status_code == 200
    return response.content.decode()


def write(article, body):
    services.add_version(
        actor=article.created_by, article=article, title=article.title, body=body, reason="Revision"
    )


@pytest.fixture
def reviewed(oncology, editor):
    """Version 1 approved; version 2 (adding the cardiac advice) approved by ``member``."""
    member, other = (BoardMemberFactory(specialties=[oncology]) for _ in range(2))
    article = ArticleFactory(specialty=oncology, actor=editor, title="Cycles?", body=V1)
    submit(article)
    approve(assign(article, other))
    write(article, V2)
    submit(article)
    assignment = approve(assign(article, member))
    assert refreshed(article).status == ArticleStatus.APPROVED
    return article, member, assignment


def test_after_approving_the_member_s_own_review_still_shows_what_changed(reviewed):
    article, member, assignment = reviewed

    content = review_page(member.user, assignment)

    assert "this is the approved text, unchanged" not in content
    assert (
        "What changed from version 1, the approved version when this review opened, to version 2." in content
    )
    assert CARDIAC_ADDED in content


def test_an_older_round_seen_by_the_chief_shows_its_own_diff_after_a_later_version_is_published(
    reviewed, chief, oncology
):
    article, member, assignment = reviewed
    write(article, V3)
    submit(refreshed(article))
    approve(assign(refreshed(article), BoardMemberFactory(specialties=[oncology])))
    assert refreshed(article).published_version.number == 3

    for user in (chief, member.user):
        content = review_page(user, assignment)

        assert CARDIAC_ADDED in content
        assert "Premedicate" not in content  # version 3's addition, once shown as deleted here


def test_the_first_round_seen_by_the_chief_after_a_revision_is_published_has_nothing_to_compare(
    reviewed, chief
):
    article, member, assignment = reviewed
    first_round_review = (
        assignment.round.article.review_rounds.order_by("opened_at").first().assignments.get()
    )

    content = review_page(chief, first_round_review)

    assert "first review: there is no approved version to compare" in content
    assert CARDIAC_DELETED not in content  # version 2 was once diffed backwards into it
    assert "HER2-targeted" not in content


def test_the_raw_unified_diff_is_gone(reviewed):
    article, member, assignment = reviewed

    content = review_page(member.user, assignment)

    assert "@@" not in content and "+- HER2" not in content


def test_without_javascript_side_by_side_is_a_link_that_reloads_the_page(reviewed):
    article, member, assignment = reviewed

    inline = review_page(member.user, assignment)
    sides = review_page(member.user, assignment, "?diff=side-by-side")
    unknown = review_page(member.user, assignment, "?diff=<script>")

    assert '<div class="review-diff-inline">' in inline and '<div class="review-diff-sides" hidden>' in inline
    assert '<div class="review-diff-inline" hidden>' in sides and '<div class="review-diff-sides">' in sides
    assert 'href="?diff=side-by-side#review-diff-heading"' in inline
    assert '<div class="review-diff-inline">' in unknown  # the default, and nothing echoed
    assert "<script>" not in unknown.split('id="review-diff-views"')[1].split("</section>")[0]
    assert 'src="/static/editorial/review-diff.js"' in inline


def test_a_re_review_of_the_approved_text_says_it_is_unchanged(reviewed, system_user, oncology):
    article, member, assignment = reviewed
    with time_machine.travel(timezone.now() + datetime.timedelta(days=400)):
        services.expire(actor=system_user, article=refreshed(article), reason="Review date passed")
        submit(refreshed(article))
        reviewer = BoardMemberFactory(specialties=[oncology])  # credentials current a year on
        again = assign(refreshed(article), reviewer)

        content = review_page(reviewer.user, again)

    assert "A re-review: version 2 is the approved text, unchanged since it was approved." in content
    assert 'id="review-diff"' not in content
