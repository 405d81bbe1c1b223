"""Optimistic concurrency on the editors' API: ``If-Match`` is required on PATCH (428 without it,
412 when stale) and optional on the workflow POSTs (412 when stale); a refused request changes
nothing."""

from __future__ import annotations

import pytest

from articles import services as article_services
from articles.models import Article, ArticleVersion
from editorial import services
from editorial.models import ReviewAssignment, ReviewRound
from tests.helpers import client_for, run_at_once
from tests.markers import requires_postgres

pytestmark = pytest.mark.django_db

PATCH_URL = "/api/v1/articles/phesgo/"


@pytest.fixture
def api(world):
    return client_for(world.editor)


def snapshot(slug="phesgo"):
    """Everything a refused request must leave as it was."""
    article = Article.objects.get(slug=slug)
    return {
        "article": {
            field: getattr(article, field)
            for field in ("title", "status", "current_version_id", "updated_at", "review_interval_days")
        },
        "etag": article.etag(),
        "history": article.history.count(),
        "rounds": ReviewRound.objects.filter(article=article).count(),
        "open_rounds": ReviewRound.objects.filter(article=article).open().count(),
        "versions": ArticleVersion.objects.filter(article=article).count(),
        "assignments": ReviewAssignment.objects.filter(round__article=article).count(),
    }


def change_elsewhere(world, slug="phesgo"):
    """Another editor's change, after which an ETag read before it is stale."""
    article_services.update_article(
        actor=world.chief,
        article=Article.objects.get(slug=slug),
        reason="Meanwhile, at another desk",
        review_interval_days=200,
    )


# --- PATCH: If-Match required ------------------------------------------------------------------


def test_patch_without_if_match_is_428_and_changes_nothing(api):
    before = snapshot()

    response = api.patch(PATCH_URL, {"title": "Overwritten blindly", "reason": "r"}, format="json")

    assert response.status_code == 428
    body = response.json()
    assert body["code"] == "precondition_required"
    assert "GET" in body["detail"] and "ETag" in body["detail"] and "If-Match" in body["detail"]
    assert snapshot() == before


def test_patch_without_if_match_is_428_even_when_the_body_is_invalid(api):
    response = api.patch(PATCH_URL, {"status": "approved"}, format="json")
    assert response.status_code == 428
    assert response.json()["code"] == "precondition_required"


def test_patch_with_a_stale_if_match_is_412_with_the_current_etag_and_changes_nothing(api, world):
    stale = api.get(PATCH_URL)["ETag"]
    change_elsewhere(world)
    before = snapshot()

    response = api.patch(
        PATCH_URL, {"title": "Second edit", "reason": "r"}, format="json", HTTP_IF_MATCH=stale
    )

    assert response.status_code == 412
    body = response.json()
    assert body["code"] == "precondition_failed"
    assert body["etag"] == before["etag"] == api.get(PATCH_URL)["ETag"]
    assert body["detail"]
    assert snapshot() == before


@pytest.mark.parametrize("header", ["*", "{etag}", 'W/"0", {etag}', '"nonsense", {etag}'])
def test_patch_with_a_matching_if_match_goes_through(api, header):
    etag = api.get(PATCH_URL)["ETag"]

    response = api.patch(
        PATCH_URL,
        {"title": "Phesgo cycles", "reason": "r"},
        format="json",
        HTTP_IF_MATCH=header.format(etag=etag),
    )

    assert response.status_code == 200, response.json()
    assert Article.objects.get(slug="phesgo").title == "Phesgo cycles"


@pytest.mark.parametrize("header", ["", "not-quoted", 'W/"{weak}"'])
def test_patch_with_an_if_match_that_names_no_current_etag_is_412(api, header):
    """An empty or unparseable header matches nothing; a weak ETag never matches (If-Match uses
    the strong comparison)."""
    etag = api.get(PATCH_URL)["ETag"]
    before = snapshot()

    response = api.patch(
        PATCH_URL,
        {"title": "Phesgo cycles", "reason": "r"},
        format="json",
        HTTP_IF_MATCH=header.format(weak=etag.strip('"')),
    )

    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert snapshot() == before


def test_with_api_require_if_match_off_a_patch_without_if_match_works(api, settings):
    settings.API_REQUIRE_IF_MATCH = False

    response = api.patch(PATCH_URL, {"title": "Phesgo cycles", "reason": "r"}, format="json")

    assert response.status_code == 200
    assert Article.objects.get(slug="phesgo").title == "Phesgo cycles"


def test_with_api_require_if_match_off_a_stale_if_match_is_still_412(api, world, settings):
    settings.API_REQUIRE_IF_MATCH = False
    stale = api.get(PATCH_URL)["ETag"]
    change_elsewhere(world)

    response = api.patch(PATCH_URL, {"title": "T", "reason": "r"}, format="json", HTTP_IF_MATCH=stale)

    assert response.status_code == 412


def test_precondition_checks_come_after_authentication_and_roles(world):
    assert client_for().patch(PATCH_URL, {"title": "T"}, format="json").status_code == 401
    member = client_for(world.members[0].user)
    assert member.patch(PATCH_URL, {"title": "T"}, format="json").status_code == 403


# --- Workflow POSTs: If-Match optional, honoured when sent ------------------------------------------


def draft(world):
    return "phesgo"


def in_review(world):
    services.submit(actor=world.editor, article=world.article, reason="r")
    return "phesgo"


def in_review_with_a_reviewer(world):
    in_review(world)
    services.assign(actor=world.editor, article=world.article, reviewer=world.members[0], reason="r")
    return "phesgo"


def retired(world):
    services.retire(actor=world.chief, article=world.article, reason="r")
    return "phesgo"


# (step, the article's state before, the body, who posts, the status a success answers)
WORKFLOW_POSTS = [
    (
        "versions",
        draft,
        {"title": "T2", "body": "Second text.", "reason": "Revision", "provenance": "human"},
        "editor",
        201,
    ),
    (
        "versions",
        in_review,
        {"title": "T2", "body": "Second text.", "reason": "Revision", "provenance": "human"},
        "editor",
        201,
    ),
    ("submit", draft, {"reason": "Ready"}, "editor", 200),
    ("withdraw", in_review, {"reason": "Pulled"}, "editor", 200),
    ("retire", draft, {"reason": "Superseded"}, "chief", 200),
    ("restore", retired, {"reason": "Needed again"}, "chief", 200),
    ("assignments", in_review, {"reviewer": "{member}", "reason": "Expert"}, "editor", 201),
    ("auto-assign", in_review_with_a_reviewer, {"reason": "Fill the round"}, "editor", 200),
]
IDS = [f"{step} ({state.__name__})" for step, state, *_ in WORKFLOW_POSTS]


def post_step(world, step, body, who, **headers):
    client = client_for(getattr(world, who))
    if "reviewer" in body:
        body = {**body, "reviewer": world.members[1].pk}
    return client.post(f"/api/v1/articles/phesgo/{step}/", body, format="json", **headers)


@pytest.mark.parametrize(("step", "state", "body", "who", "success"), WORKFLOW_POSTS, ids=IDS)
def test_a_workflow_post_with_a_stale_if_match_is_412_and_changes_nothing(
    world, api, step, state, body, who, success
):
    state(world)
    stale = api.get(PATCH_URL)["ETag"]
    change_elsewhere(world)
    before = snapshot()

    response = post_step(world, step, body, who, HTTP_IF_MATCH=stale)

    assert response.status_code == 412, response.json()
    assert response.json()["code"] == "precondition_failed"
    assert response.json()["etag"] == before["etag"]
    assert snapshot() == before


@pytest.mark.parametrize(("step", "state", "body", "who", "success"), WORKFLOW_POSTS, ids=IDS)
@pytest.mark.parametrize("if_match", ["current", "*", None])
def test_a_workflow_post_with_a_current_or_no_if_match_goes_through(
    world, api, step, state, body, who, success, if_match
):
    state(world)
    etag = api.get(PATCH_URL)["ETag"]
    headers = {} if if_match is None else {"HTTP_IF_MATCH": etag if if_match == "current" else if_match}

    response = post_step(world, step, body, who, **headers)

    assert response.status_code == success, response.json()
    assert snapshot()["history"] > 0


def test_a_stale_if_match_is_checked_after_the_body_is_validated(world, api):
    stale = api.get(PATCH_URL)["ETag"]
    change_elsewhere(world)

    response = post_step(world, "submit", {}, "editor", HTTP_IF_MATCH=stale)

    assert response.status_code == 400
    assert "reason" in response.json()["fields"]


def test_the_etag_a_workflow_post_answers_with_is_the_one_to_send_next(world, api):
    etag = api.get(PATCH_URL)["ETag"]
    submitted = post_step(world, "submit", {"reason": "Ready"}, "editor", HTTP_IF_MATCH=etag)
    assert submitted.status_code == 200

    withdrawn = post_step(world, "withdraw", {"reason": "Pulled"}, "editor", HTTP_IF_MATCH=submitted["ETag"])

    assert withdrawn.status_code == 200
    assert Article.objects.get(slug="phesgo").status == "draft"


# --- The check is made under the article's lock --------------------------------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(4))
def test_two_changes_sent_with_the_same_etag_at_once_one_wins_one_is_412(world, attempt):
    """A PATCH and a submit both made from the same read: whichever takes the article's lock first
    goes through, the other sees the ETag the first one left and is refused."""
    etag = client_for(world.editor).get(PATCH_URL)["ETag"]
    before = snapshot()

    patch, submit = run_at_once(
        lambda: client_for(world.editor).patch(
            PATCH_URL, {"title": "Edited", "reason": "r"}, format="json", HTTP_IF_MATCH=etag
        ),
        lambda: client_for(world.editor).post(
            "/api/v1/articles/phesgo/submit/", {"reason": "Ready"}, format="json", HTTP_IF_MATCH=etag
        ),
    )

    assert sorted([patch.status_code, submit.status_code]) == [200, 412]
    after = snapshot()
    outcome = (after["article"]["title"], after["article"]["status"], after["rounds"])
    if patch.status_code == 200:
        assert outcome == ("Edited", "draft", 0)
    else:
        assert outcome == (before["article"]["title"], "submitted", 1)
    assert after["history"] == before["history"] + 1
