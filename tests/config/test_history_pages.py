"""The page for one historical record shows that record's values as text, read-only: never a
select box listing other objects (other articles' rounds, every member, every username)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from editorial import services
from tests.editorial.conftest import assign, submit
from tests.factories import ArticleFactory, BoardMemberFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db


def record_url(obj, record=None) -> str:
    meta = obj._meta
    record = record or obj.history.earliest()
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_simple_history", args=[obj.pk, record.pk])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def desk(oncology, editor):
    me = BoardMemberFactory(specialties=[oncology], display_name="Dr Mine")
    other = BoardMemberFactory(specialties=[oncology], display_name="Dr Someone Else")
    mine = ArticleFactory(
        slug="statins-after-mi", specialty=oncology, actor=editor, title="Which statin after a heart attack?"
    )
    submit(mine)
    assignment = assign(mine, me)
    theirs = ArticleFactory(
        slug="digoxin-secret", specialty=oncology, actor=editor, title="A secret draft about digoxin?"
    )
    submit(theirs)
    assign(theirs, other)
    draft = ArticleFactory(
        slug="warfarin-draft", specialty=oncology, actor=editor, title="An unsubmitted draft on warfarin?"
    )
    return {"me": me, "other": other, "assignment": assignment, "draft": draft, "editor": editor}


def test_a_board_member_reads_their_assignments_record_as_text_and_nothing_else(desk):
    me, other, assignment = desk["me"], desk["other"], desk["assignment"]

    page = signed_in(me.user).get(record_url(assignment))

    content = page.content.decode()
    assert page.status_code == 200
    assert "<select" not in content
    assert "<textarea" not in content
    assert 'type="text"' not in content
    for leak in ("digoxin", "warfarin"):  # other articles: their rounds, versions, titles
        assert leak not in content
    for leak in (other.display_name, other.user.username):
        assert leak not in content
    # The record's own values: its reviewer, its round, its state's label.
    assert "Dr Mine, MD" in content
    assert "Review of statins-after-mi v1" in content
    assert "Pending" in content
    assert f'<div class="readonly">{desk["editor"].username}</div>' in content  # who assigned it


def test_an_editor_in_chief_reads_an_article_record_with_choice_labels_and_no_form(desk, chief):
    article = desk["assignment"].round.article
    services.withdraw(actor=desk["editor"], article=article, reason="Not ready")
    record = article.history.order_by("-history_id").first()

    content = signed_in(chief).get(record_url(article, record)).content.decode()

    assert "<select" not in content
    assert "<textarea" not in content
    assert "Draft" in content  # the status's label, as this record had it
    assert "Medical oncology" in content  # the specialty by name
    assert "digoxin" not in content and "warfarin" not in content
    assert 'name="change_reason"' not in content


def test_a_board_member_record_shows_the_specialties_it_had_then(chief, oncology):
    cardiology = SpecialtyFactory(name="Cardiology", slug="cardiology")
    member = BoardMemberFactory(specialties=[oncology])
    first = member.history.order_by("-history_id").first()
    member.specialties.set([cardiology])
    latest = member.history.order_by("-history_id").first()
    assert first.pk != latest.pk

    then = signed_in(chief).get(record_url(member, first)).content.decode()
    now = signed_in(chief).get(record_url(member, latest)).content.decode()

    assert "<select" not in then
    assert "Medical oncology" in then and "Cardiology" not in then
    assert "Cardiology" in now
