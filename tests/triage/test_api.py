"""The triage API: page views (stored once per article and day however often they are sent,
unknown slugs reported, bad input refused, only for the analytics role and editors-in-chief) and
the queue (editors-in-chief only, each score explained, a bounded number of queries)."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.test import APIClient

from articles.models import RiskLevel
from articles.provenance import Provenance
from editorial.triage.models import PageViews
from editorial.triage.permissions import ANALYTICS_ROLE
from tests.editorial.conftest import approve, assign, submit
from tests.factories import ArticleFactory, BoardMemberFactory, UserFactory
from tests.helpers import client_for
from tests.triage.conftest import pending

pytestmark = pytest.mark.django_db

PAGE_VIEWS = "/api/v1/triage/page-views/"
QUEUE = "/api/v1/triage/queue/"


@pytest.fixture
def analytics():
    user = UserFactory(username="site-analytics")
    user.groups.add(Group.objects.get(name=ANALYTICS_ROLE))  # created by the app's migration
    return user


@pytest.fixture
def articles(oncology, editor):
    return [pending(oncology, editor, slug=slug, age_days=1) for slug in ("alpha", "beta")]


def stored() -> set[tuple[str, datetime.date, int]]:
    return set(PageViews.objects.values_list("article__slug", "date", "views"))


# --- Page views -----------------------------------------------------------------------------------


def test_page_views_are_stored_per_article_and_day_and_a_resent_batch_changes_nothing(analytics, articles):
    batch = {
        "items": [
            {"slug": "alpha", "date": "2030-01-01", "views": 120},
            {"slug": "alpha", "date": "2030-01-02", "views": 80},
            {"slug": "beta", "date": "2030-01-01", "views": 7},
        ]
    }
    first = client_for(analytics).post(PAGE_VIEWS, batch, format="json")
    again = client_for(analytics).post(PAGE_VIEWS, batch, format="json")

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() == {"received": 3, "stored": 3, "unknown": []}
    assert PageViews.objects.count() == 3
    assert stored() == {
        ("alpha", datetime.date(2030, 1, 1), 120),
        ("alpha", datetime.date(2030, 1, 2), 80),
        ("beta", datetime.date(2030, 1, 1), 7),
    }
    assert set(PageViews.objects.values_list("received_by", flat=True)) == {analytics.pk}


def test_a_later_count_for_the_same_day_replaces_the_earlier_one(analytics, articles):
    client = client_for(analytics)
    client.post(PAGE_VIEWS, {"items": [{"slug": "alpha", "date": "2030-01-01", "views": 120}]}, format="json")
    response = client.post(
        PAGE_VIEWS,
        {
            "items": [
                {"slug": "alpha", "date": "2030-01-01", "views": 150},
                {"slug": "alpha", "date": "2030-01-01", "views": 155},  # the later item wins
            ]
        },
        format="json",
    )

    assert response.json() == {"received": 2, "stored": 1, "unknown": []}
    assert stored() == {("alpha", datetime.date(2030, 1, 1), 155)}


def test_unknown_slugs_are_reported_by_position_and_the_rest_stored(chief, articles):
    response = client_for(chief).post(
        PAGE_VIEWS,
        {
            "items": [
                {"slug": "no-such-page", "date": "2030-01-01", "views": 3},
                {"slug": "beta", "date": "2030-01-01", "views": 9},
                {"slug": "typo-alpah", "date": "2030-01-01", "views": 4},
            ]
        },
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {
        "received": 3,
        "stored": 1,
        "unknown": [{"index": 0, "slug": "no-such-page"}, {"index": 2, "slug": "typo-alpah"}],
    }
    assert stored() == {("beta", datetime.date(2030, 1, 1), 9)}


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"slug": "alpha", "date": "20300101", "views": 1}, "date"),
        ({"slug": "alpha", "date": "2030-02-30", "views": 1}, "date"),
        ({"slug": "alpha", "date": "2030-01-01T00:00:00Z", "views": 1}, "date"),
        ({"slug": "alpha", "date": "2030-01-01", "views": -1}, "views"),
        ({"slug": "alpha", "date": "2030-01-01", "views": "12"}, "views"),
        ({"slug": "alpha beta", "date": "2030-01-01", "views": 1}, "slug"),
        ({"slug": "alpha", "date": "2030-01-01"}, "views"),
        ({"slug": "alpha", "date": "2030-01-01", "views": 1, "page": "/x"}, "page"),
    ],
)
def test_a_malformed_item_is_a_400_naming_its_field_and_nothing_is_stored(analytics, articles, item, field):
    good = {"slug": "beta", "date": "2030-01-01", "views": 5}
    response = client_for(analytics).post(PAGE_VIEWS, {"items": [good, item]}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"]["items"]["1"]  # the second item
    assert PageViews.objects.count() == 0


@pytest.mark.parametrize("items", [[], [{"slug": "alpha", "date": "2030-01-01", "views": 1}] * 1001])
def test_an_empty_batch_or_one_over_the_limit_is_a_400(analytics, articles, items):
    response = client_for(analytics).post(PAGE_VIEWS, {"items": items}, format="json")

    assert (response.status_code, list(response.json()["fields"])) == (400, ["items"])
    assert PageViews.objects.count() == 0


def test_only_the_analytics_role_and_editors_in_chief_send_page_views(editor, board_member, articles):
    body = {"items": [{"slug": "alpha", "date": "2030-01-01", "views": 1}]}

    assert client_for(editor).post(PAGE_VIEWS, body, format="json").status_code == 403
    assert client_for(board_member.user).post(PAGE_VIEWS, body, format="json").status_code == 403
    assert APIClient().post(PAGE_VIEWS, body, format="json").status_code == 401
    assert PageViews.objects.count() == 0


def test_the_analytics_role_reads_and_writes_nothing_else(analytics, articles):
    client = client_for(analytics)

    assert client.get(QUEUE).status_code == 403
    assert client.get("/api/v1/articles/").status_code == 403
    assert client.post("/api/v1/articles/alpha/submit/", {"reason": "r"}, format="json").status_code == 403


# --- The queue ------------------------------------------------------------------------------------


def test_the_queue_lists_the_pending_articles_best_first_with_each_score_explained(oncology, editor, chief):
    pending(oncology, editor, slug="human-draft", age_days=10)
    pending(oncology, editor, slug="machine-draft", provenance=Provenance.AI_GENERATED, risk=RiskLevel.HIGH)
    client_for(chief).post(
        PAGE_VIEWS,
        {"items": [{"slug": "human-draft", "date": timezone.localdate().isoformat(), "views": 999}]},
        format="json",
    )

    response = client_for(chief).get(QUEUE)

    assert response.status_code == 200
    body = response.json()
    assert [entry["slug"] for entry in body["results"]] == ["machine-draft", "human-draft"]
    first, second = body["results"]
    assert first["rank"] == 1 and first["provenance"] == "ai_generated" and first["risk_level"] == "high"
    assert first["components"] == {"risk": 30.0, "provenance": 40.0, "waiting": 0.0, "page_views": 0.0}
    assert first["score"] == 70.0
    assert second["components"]["waiting"] == pytest.approx(10, abs=0.01)
    assert second["components"]["page_views"] == pytest.approx(30)
    assert second["recent_page_views"] == 999
    assert second["score"] == pytest.approx(sum(second["components"].values()), abs=0.02)
    assert (second["version"], second["status"], second["specialty"]) == (1, "draft", "medical-oncology")
    assert body["weights"]["ai_generated"] == 40
    assert body["auto_submit"] is False


def test_the_queue_carries_the_capacity_throughput_and_forecast(oncology, editor, chief):
    member = BoardMemberFactory(specialties=[oncology], max_open_reviews=4)
    done = ArticleFactory(specialty=oncology, actor=editor)
    submit(done)
    approve(assign(done, member))
    for number in range(3):
        pending(oncology, editor, slug=f"waiting-{number}")

    body = client_for(chief).get(QUEUE).json()

    assert body["capacity"] == {"free_seats": 4, "members_with_room": 1}
    assert body["throughput"] == {"weeks": 4, "rounds_completed": 1, "per_week": 0.25}
    assert body["forecast"] == {
        "pending": 3,
        "in_review": 0,
        "backlog": 3,
        "weeks": 12,
        "text": "At current throughput (0.2 rounds completed a week over the last 4 weeks) the backlog "
        "(3 articles waiting and 0 rounds in review) clears in 12 weeks.",
    }


def test_the_limit_cuts_the_queue_and_is_read_strictly(oncology, editor, chief):
    for number in range(3):
        pending(oncology, editor, slug=f"waiting-{number}", age_days=number)
    client = client_for(chief)

    assert [e["rank"] for e in client.get(QUEUE, {"limit": 2}).json()["results"]] == [1, 2]
    for bad in ("0", "201", "two", ""):
        response = client.get(QUEUE, {"limit": bad})
        assert (response.status_code, list(response.json()["fields"])) == (400, ["limit"])


def test_only_editors_in_chief_see_the_queue(editor, board_member):
    assert client_for(editor).get(QUEUE).status_code == 403
    assert client_for(board_member.user).get(QUEUE).status_code == 403
    assert APIClient().get(QUEUE).status_code == 401


@pytest.mark.parametrize("count", [1, 50])
def test_the_queue_costs_the_same_queries_at_one_and_fifty_articles(
    oncology, editor, chief, count, django_assert_max_num_queries
):
    BoardMemberFactory(specialties=[oncology])
    for number in range(count):
        pending(oncology, editor, slug=f"waiting-{number}", age_days=number % 7)
    client = client_for(chief)

    # The pending count, open rounds, throughput, members, their specialties, the queue (in a
    # savepoint here, with SET LOCAL jit on PostgreSQL); and the user's roles.
    with django_assert_max_num_queries(10):
        response = client.get(QUEUE)
    assert len(response.json()["results"]) == count
