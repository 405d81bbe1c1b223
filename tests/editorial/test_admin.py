"""The review desk in the Django admin: the queue, the review page and its decision form, the
editors-in-chief's view, and every permission rule, direct URLs included."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.content import VersionContent
from articles.models import ArticleStatus, ArticleVersion
from config.audit import audit
from editorial import services
from editorial.models import AssignmentState, ReviewAssignment
from editorial.roles import ROLE_PERMISSIONS, ensure_roles
from reviewers.models import BoardMember, ConflictOfInterest
from reviewers.roles import Role
from tests.editorial.conftest import approve, assign, refreshed, submit
from tests.factories import ArticleFactory, BoardMemberFactory, EditorFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:editorial_reviewassignment_changelist")


def review_url(assignment):
    return reverse("admin:editorial_reviewassignment_change", args=[assignment.pk])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def desk(oncology, editor):
    """Two reviewers with assignments: the first has a due one and an overdue one; the second
    has their own."""
    mine, theirs = (BoardMemberFactory(specialties=[oncology]) for _ in range(2))
    due = ArticleFactory(specialty=oncology, actor=editor, title="Due article?")
    submit(due)
    due_assignment = assign(due, mine)
    late = ArticleFactory(specialty=oncology, actor=editor, title="Late article?")
    submit(late)
    late_assignment = assign(late, mine, due_at=timezone.now() + datetime.timedelta(hours=1))
    ReviewAssignment.objects.filter(pk=late_assignment.pk).update(
        due_at=timezone.now() - datetime.timedelta(days=2)
    )
    other = ArticleFactory(specialty=oncology, actor=editor, title="Someone else's article?")
    submit(other)
    other_assignment = assign(other, theirs)
    return {
        "me": mine,
        "them": theirs,
        "due": due_assignment,
        "late": late_assignment,
        "other": other_assignment,
    }


def titles(response) -> list[str]:
    return [row.article_title for row in response.context["cl"].result_list]


# --- The queue --------------------------------------------------------------------------------


def test_the_queue_lists_my_open_reviews_by_due_date_with_overdue_marked(desk):
    response = signed_in(desk["me"].user).get(QUEUE)

    assert response.status_code == 200
    assert titles(response) == ["Late article?", "Due article?"]
    assert response.context["title"] == "Your review queue"
    content = response.content.decode()
    assert content.count('class="review-overdue"') == 1
    assert "Someone else" not in content


def test_decided_reviews_leave_the_queue_and_show_under_done(desk):
    approve(desk["due"])
    client = signed_in(desk["me"].user)

    assert titles(client.get(QUEUE)) == ["Late article?"]
    assert titles(client.get(QUEUE + "?show=closed")) == ["Due article?"]
    assert titles(client.get(QUEUE + "?show=overdue")) == ["Late article?"]


def test_the_index_counts_my_pending_and_overdue_reviews(desk):
    content = signed_in(desk["me"].user).get(reverse("admin:index")).content.decode()
    assert "Your reviews:" in content
    assert "2 pending" in content
    assert "1 overdue" in content


def test_an_editor_in_chief_sees_every_assignment_with_its_reviewer(desk, chief):
    response = signed_in(chief).get(QUEUE)
    assert len(titles(response)) == 3
    assert response.context["title"] == "All review assignments"
    assert "reviewer" in response.context["cl"].list_display
    assert "All reviews:" in signed_in(chief).get(reverse("admin:index")).content.decode()


def test_a_board_member_who_is_also_editor_in_chief_sees_the_same_reviews_on_the_index_and_the_queue(desk):
    user = desk["me"].user
    user.groups.add(Group.objects.get(name=Role.EDITOR_IN_CHIEF))
    client = signed_in(user)

    index = client.get(reverse("admin:index")).content.decode()
    assert "All reviews:" in index
    assert ">3 pending<" in index
    assert len(titles(client.get(QUEUE))) == 3


# --- The review page ---------------------------------------------------------------------------


def test_the_review_page_shows_the_text_references_and_the_diff_to_the_approved_version(oncology, editor):
    member, first_reviewer = (BoardMemberFactory(specialties=[oncology]) for _ in range(2))
    article = ArticleFactory(specialty=oncology, actor=editor, body="Give six cycles.")
    submit(article)
    approve(assign(article, first_reviewer))
    services.add_version(
        actor=editor,
        article=article,
        title="Revised question?",
        body="Give **at least** six cycles.",
        references=[{"citation": "CLEOPATRA.", "source": "N Engl J Med", "year": 2012}],
        reason="Stronger wording",
    )
    submit(article)
    assignment = assign(article, member)

    content = signed_in(member.user).get(review_url(assignment)).content.decode()

    assert "<strong>at least</strong>" in content
    assert "CLEOPATRA. (N Engl J Med, 2012)" in content
    assert (
        "What changed from version 1, the approved version when this review opened, to version 2." in content
    )
    assert (
        '<p class="diff-changed">Give <strong><ins>at least</ins></strong><ins> </ins>six cycles.</p>'
        in content
    )
    assert (
        '<li class="reference-added"><span class="reference-change">Added</span> <ins>CLEOPATRA.' in content
    )
    assert "@@" not in content
    assert 'id="decision-form"' in content


def test_a_first_review_says_there_is_nothing_to_compare(desk):
    content = signed_in(desk["me"].user).get(review_url(desk["due"])).content.decode()
    assert "first review: there is no approved version to compare" in content


def test_scripts_and_raw_html_never_reach_the_page(desk, editor):
    # Raw HTML in article text is shown to the reviewer as typed, never run.
    article = desk["due"].round.article
    content = VersionContent(
        title="Injected?",
        body='<script>alert("x")</script>\n\n[link](javascript:alert(1)) <img src=x onerror=alert(1)>',
    )
    with audit(actor=editor, reason="Test fixture"):
        version = ArticleVersion(
            article=article,
            number=2,
            title=content.title,
            body=content.body,
            author=editor,
            content_hash=content.sha256(),
        )
        version.save()
    desk["due"].round.__class__.objects.filter(pk=desk["due"].round_id).update(version=version)

    content = signed_in(desk["me"].user).get(review_url(desk["due"])).content.decode()
    text = content[content.index('id="review-text"') :]
    assert "<script" not in text
    assert "javascript:" not in text
    assert "<img" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


# --- The decision form ------------------------------------------------------------------------


def test_approving_from_the_form_records_the_decision_and_returns_to_the_queue(desk):
    client = signed_in(desk["me"].user)

    response = client.post(
        review_url(desk["due"]), {"decision": "approve", "comment": "Accurate."}, follow=True
    )

    assert response.redirect_chain[-1][0] == QUEUE
    assert "Your decision is recorded: approve." in response.content.decode()
    assignment = refreshed(desk["due"])
    assert (assignment.state, assignment.decision, assignment.comment) == (
        "completed",
        "approve",
        "Accurate.",
    )
    assert assignment.round.article.status == ArticleStatus.APPROVED
    assert assignment.history.latest().history_user == desk["me"].user


@pytest.mark.parametrize("decision", ["request_changes", "reject", "decline"])
def test_anything_but_approval_needs_a_comment(desk, decision):
    response = signed_in(desk["me"].user).post(
        review_url(desk["due"]), {"decision": decision, "comment": " "}
    )

    assert response.status_code == 200
    assert response.context["decision_form"].errors["comment"]
    assert refreshed(desk["due"]).state == AssignmentState.PENDING


def test_requesting_changes_from_the_form(desk):
    signed_in(desk["me"].user).post(
        review_url(desk["due"]), {"decision": "request_changes", "comment": "Cite it."}
    )
    assignment = refreshed(desk["due"])
    assert assignment.decision == "request_changes"
    assert assignment.round.article.status == ArticleStatus.CHANGES_REQUESTED


def test_declining_from_the_form_assigns_a_replacement(desk, oncology):
    spare = BoardMemberFactory(specialties=[oncology])
    response = signed_in(desk["me"].user).post(
        review_url(desk["due"]), {"decision": "decline", "comment": "On leave."}, follow=True
    )
    assert "You declined this review. 1 replacement(s) assigned." in response.content.decode()
    assert refreshed(desk["due"]).state == AssignmentState.DECLINED
    assert (
        desk["due"].round.assignments.filter(reviewer__in=[spare, desk["them"]], state="pending").count() == 1
    )


def test_the_services_refusal_is_shown_as_a_message(desk):
    # The credential check ran out this morning; the daily check has not released the review yet.
    BoardMember.objects.filter(pk=desk["me"].pk).update(
        credentials_verified_until=timezone.localdate() - datetime.timedelta(days=1)
    )

    response = signed_in(desk["me"].user).post(review_url(desk["due"]), {"decision": "approve"}, follow=True)

    assert "credential check has lapsed" in response.content.decode()
    # Refused, and the review released for someone who can decide.
    assert refreshed(desk["due"]).state == AssignmentState.CANCELLED


def test_a_review_released_by_a_conflict_says_why(desk, chief):
    with audit(actor=chief, reason="Declared today"):
        ConflictOfInterest.objects.create(
            member=desk["me"], article=desk["due"].round.article, reason="New grant"
        )

    content = signed_in(desk["me"].user).get(review_url(desk["due"])).content.decode()

    assert refreshed(desk["due"]).state == AssignmentState.CANCELLED
    assert "has declared a conflict of interest: this article." in content


def test_a_closed_review_has_no_form_and_refuses_a_post(desk):
    approve(desk["due"])
    client = signed_in(desk["me"].user)
    assert client.get(review_url(desk["due"])).context["decision_form"] is None

    response = client.post(
        review_url(desk["due"]), {"decision": "reject", "comment": "Too late"}, follow=True
    )
    assert "This review is closed" in response.content.decode()
    assert refreshed(desk["due"]).decision == "approve"


# --- Editors-in-chief -------------------------------------------------------------------------


def test_an_editor_in_chief_reassigns_a_review(desk, chief, oncology):
    spare = BoardMemberFactory(specialties=[oncology])

    response = signed_in(chief).post(
        review_url(desk["late"]), {"reviewer": spare.pk, "reason": "Overdue; reassigned"}, follow=True
    )

    assert "Reassigned to" in response.content.decode()
    assert refreshed(desk["late"]).state == AssignmentState.CANCELLED
    new = desk["late"].round.assignments.get(reviewer=spare)
    assert (new.state, new.assigned_by) == (AssignmentState.PENDING, chief)


def test_a_refused_reassignment_is_a_message(desk, chief):
    response = signed_in(chief).post(
        review_url(desk["late"]), {"reviewer": desk["me"].pk, "reason": "Same person"}, follow=True
    )
    assert "is already assigned to this review round" in response.content.decode()
    assert refreshed(desk["late"]).state == AssignmentState.PENDING


def test_an_editor_in_chief_reads_articles_with_their_status_and_history(desk, chief):
    article = desk["due"].round.article
    client = signed_in(chief)
    listing = client.get(reverse("admin:articles_article_changelist")).content.decode()
    assert "Under review" in listing
    history = client.get(reverse("admin:articles_article_history", args=[article.pk])).content.decode()
    assert "Best placed to review" in history
    assert "Under review" in history


# --- Permissions, direct URLs included ----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_group_changelist"),
        reverse("admin:articles_article_changelist"),
        reverse("admin:articles_articleversion_changelist"),
        reverse("admin:reviewers_boardmember_changelist"),
        reverse("admin:reviewers_conflictofinterest_changelist"),
        reverse("admin:editorial_reviewround_changelist"),
        reverse("admin:reviewers_specialty_changelist"),
    ],
)
def test_a_board_member_reaches_nothing_but_their_queue(desk, url):
    assert signed_in(desk["me"].user).get(url).status_code == 403


def test_a_board_member_cannot_open_another_members_review_by_url(desk):
    # Not found, as for an id that names nothing (tests/config/test_admin_unknown_ids.py).
    response = signed_in(desk["me"].user).get(review_url(desk["other"]))
    assert response.status_code == 404
    assert "Someone else" not in response.content.decode()


def test_a_board_member_cannot_decide_on_another_members_review_by_url(desk):
    signed_in(desk["me"].user).post(review_url(desk["other"]), {"decision": "approve"})
    assert refreshed(desk["other"]).state == AssignmentState.PENDING


def test_a_board_member_cannot_read_another_members_review_history(desk):
    url = reverse("admin:editorial_reviewassignment_history", args=[desk["other"].pk])
    assert signed_in(desk["me"].user).get(url).status_code == 404


def history_record_url(obj) -> str:
    meta = obj._meta
    record = obj.history.earliest()
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_simple_history", args=[obj.pk, record.pk])


def test_a_board_member_cannot_rewrite_their_review_from_its_history_page(desk):
    mine = desk["due"]
    client = signed_in(mine.reviewer.user)
    url = history_record_url(mine)
    rows = mine.history.count()
    assert client.get(url).status_code == 200  # reading the record is allowed

    form = {"state": AssignmentState.CANCELLED, "comment": "Rewritten", "due_at_0": "2030-01-01"}
    assert client.post(url, form).status_code == 403
    assert (refreshed(mine).state, refreshed(mine).comment) == (AssignmentState.PENDING, "")
    assert mine.history.count() == rows


def test_no_history_page_writes_even_for_a_superuser(desk, chief, admin_user):
    services.withdraw(actor=EditorFactory(), article=desk["due"].round.article, reason="Not ready")
    round = refreshed(desk["due"].round)
    article = round.article
    member = desk["me"]
    client = signed_in(admin_user)
    for obj in (round, article, member):
        url = history_record_url(obj)
        rows = obj.history.count()
        assert client.get(url).status_code == 200
        assert client.post(url, {"change_reason": "Put it back"}).status_code == 403
        assert obj.history.count() == rows
    assert refreshed(round).closed_at is not None
    assert refreshed(article).status == ArticleStatus.DRAFT


def test_a_board_member_cannot_edit_or_delete_versions_by_url(desk):
    version = desk["due"].round.version
    client = signed_in(desk["me"].user)
    assert client.get(reverse("admin:articles_articleversion_change", args=[version.pk])).status_code == 404
    assert (
        client.post(
            reverse("admin:articles_articleversion_delete", args=[version.pk]), {"post": "yes"}
        ).status_code
        == 404
    )
    assert ArticleVersion.objects.filter(pk=version.pk).exists()


def test_editors_work_through_the_api_not_the_admin(desk):
    editor = EditorFactory()
    response = signed_in(editor).get(QUEUE)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_nobody_adds_or_deletes_assignments_in_the_admin(desk, chief):
    client = signed_in(chief)
    assert client.get(reverse("admin:editorial_reviewassignment_add")).status_code == 403
    delete = reverse("admin:editorial_reviewassignment_delete", args=[desk["due"].pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403


def test_roles_get_exactly_their_permissions_after_migrate():
    groups = ensure_roles()
    for role, names in ROLE_PERMISSIONS.items():
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in groups[str(role)].permissions.all()}
        assert granted == set(names), role
    assert ROLE_PERMISSIONS[Role.BOARD_MEMBER] == [
        "editorial.view_reviewassignment",
        "editorial.change_reviewassignment",
    ]


# --- Query counts -------------------------------------------------------------------------------


def build_assignments(n, oncology, editor):
    member = BoardMemberFactory(specialties=[oncology], max_open_reviews=100)
    for index in range(n):
        article = ArticleFactory(slug=f"queue-{index}", specialty=oncology, actor=editor)
        submit(article)
        assign(article, member)
    return member


@pytest.mark.parametrize("size", [1, 50])
@pytest.mark.parametrize(
    ("url", "queries"),
    # One query on every admin page is the second factor the session gave (its device).
    [
        (QUEUE, 11),
        (reverse("admin:articles_article_changelist"), 11),
        (reverse("admin:reviewers_boardmember_changelist"), 11),
    ],
)
def test_changelists_do_not_grow_with_the_page(
    oncology, editor, chief, django_assert_max_num_queries, size, url, queries
):
    build_assignments(size, oncology, editor)
    for _ in range(size - 1):
        BoardMemberFactory(specialties=[oncology])
    client = signed_in(chief)
    client.get(url)  # warm the session and permission caches
    with django_assert_max_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count >= size
