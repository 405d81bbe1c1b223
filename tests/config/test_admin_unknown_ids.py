"""The admin's pages of one object (change, history, a historical record) answer 404 for a
malformed or unknown id, for every registered model, and give the same answer for an object the
user may not see, so that no page tells them whether it exists. (A non-numeric history id was a
500, raised before the permission check; an unknown id redirected; an object the user may not see
was a 403.)"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import NoReverseMatch, reverse
from knox.models import AuthToken

from articles.models import ArticleVersion
from config.security.models import SecondFactor
from editorial.models import ReviewRound
from editorial.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from reviewers.models import ConflictOfInterest, Specialty
from tests.editorial.conftest import assign, submit
from tests.factories import ArticleFactory, BoardMemberFactory, ChiefFactory, UserFactory

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
LABELS = [model._meta.label for model in REGISTERED]
MALFORMED = ["abc", "1.5", "-1", "99999999999999999999999"]
UNKNOWN = "987654321"


@pytest.fixture
def objects(oncology, editor):
    """One object of every registered model; the review belongs to ``reviewer``."""
    reviewer = BoardMemberFactory(specialties=[oncology])
    article = ArticleFactory(specialty=oncology, actor=editor)
    submit(article)
    assignment = assign(article, reviewer)
    token, _ = AuthToken.objects.create(user=editor)
    endpoint = WebhookEndpoint.objects.create(
        url="https://receiver.example.org/hooks", event_types=["article.approved"], created_by=editor
    )
    event = WebhookEvent.objects.create(type="article.approved", payload={}, article=article)
    found = {
        "articles.Article": article,
        "articles.ArticleVersion": ArticleVersion.objects.get(article=article),
        "auth.Group": Group.objects.get(name="editor"),
        "auth.User": editor,
        "editorial.ReviewAssignment": assignment,
        "editorial.ReviewRound": ReviewRound.objects.get(article=article),
        "knox.AuthToken": token,
        "reviewers.BoardMember": reviewer,
        "reviewers.ConflictOfInterest": ConflictOfInterest.objects.create(
            member=reviewer, keyword="pertuzumab", reason="Advisory board"
        ),
        "reviewers.Specialty": Specialty.objects.get(slug="medical-oncology"),
        "security.SecondFactor": SecondFactor.objects.create(user=reviewer.user, confirmed=True),
        "editorial_webhooks.WebhookEndpoint": endpoint,
        "editorial_webhooks.WebhookDelivery": WebhookDelivery.objects.create(event=event, endpoint=endpoint),
    }
    assert set(found) == set(LABELS), "a newly registered model needs an object here"
    return found


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def superuser():
    return signed_in(ChiefFactory(username="root", is_superuser=True))


def page(model, name: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{name}", args=args)


def has_history_records(model) -> bool:
    try:
        page(model, "simple_history", 1, 1)
    except NoReverseMatch:
        return False
    return True


@pytest.mark.parametrize("model", REGISTERED, ids=LABELS)
def test_a_malformed_or_unknown_id_is_a_404_on_every_page_of_one_object(superuser, objects, model):
    existing = objects[model._meta.label]
    for object_id in [*MALFORMED, UNKNOWN]:
        for name in ("change", "history", "delete"):
            assert superuser.get(page(model, name, object_id)).status_code == 404, (name, object_id)
    assert superuser.get(page(model, "change", existing.pk)).status_code == 200
    assert superuser.get(page(model, "history", existing.pk)).status_code == 200


@pytest.mark.parametrize("model", [m for m in REGISTERED if has_history_records(m)], ids=str)
def test_a_malformed_or_unknown_history_record_is_a_404(superuser, objects, model):
    existing = objects[model._meta.label]
    record = existing.history.earliest()
    for object_id, version_id in [
        (existing.pk, "abc"),
        (existing.pk, "99999999999999999999999"),
        (existing.pk, UNKNOWN),
        ("abc", record.pk),
        (UNKNOWN, record.pk),
    ]:
        response = superuser.get(page(model, "simple_history", object_id, version_id))
        assert response.status_code == 404, (object_id, version_id)
    assert superuser.get(page(model, "simple_history", existing.pk, record.pk)).status_code == 200


def test_a_record_of_another_object_is_not_found_under_this_one(superuser, objects, oncology):
    other = Specialty.objects.create(name="Cardiology", slug="cardiology")
    record = other.history.earliest()
    url = page(Specialty, "simple_history", objects["reviewers.Specialty"].pk, record.pk)
    assert superuser.get(url).status_code == 404


def pages_of(model, obj) -> list[str]:
    urls = [page(model, "change", obj.pk), page(model, "history", obj.pk), page(model, "delete", obj.pk)]
    if has_history_records(model):
        urls.append(page(model, "simple_history", obj.pk, obj.history.earliest().pk))
    return urls


@pytest.mark.parametrize("model", REGISTERED, ids=LABELS)
def test_an_object_a_board_member_may_not_see_looks_exactly_like_an_unknown_one(objects, model):
    """A board member sees their own reviews and nothing else: every other object's pages answer
    what an unknown id's answer."""
    member = signed_in(BoardMemberFactory().user)
    existing = objects[model._meta.label]
    for url in pages_of(model, existing):
        assert member.get(url).status_code == 404, url
    for name in ("change", "history", "delete"):
        assert member.get(page(model, name, UNKNOWN)).status_code == 404


def test_a_board_member_reads_the_pages_of_their_own_review(objects):
    assignment = objects["editorial.ReviewAssignment"]
    reviewer = signed_in(assignment.reviewer.user)
    record = assignment.history.earliest()
    for url in [
        page(type(assignment), "change", assignment.pk),
        page(type(assignment), "history", assignment.pk),
        page(type(assignment), "simple_history", assignment.pk, record.pk),
    ]:
        assert reviewer.get(url).status_code == 200, url


def test_an_editor_in_chief_who_may_not_see_users_gets_404_for_any_user(objects):
    chief = signed_in(ChiefFactory())
    user = UserFactory()
    for object_id in (user.pk, UNKNOWN, "abc"):
        assert chief.get(page(type(user), "change", object_id)).status_code == 404


def test_people_who_may_not_use_the_admin_are_still_sent_to_sign_in(objects):
    response = Client().get(page(Specialty, "change", UNKNOWN))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
