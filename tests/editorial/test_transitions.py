"""Every row of the transition table (docs/architecture.md, section 4), and the refusals around each."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from articles.exceptions import ArticleLocked
from articles.models import ArticleStatus as S
from articles.selectors import allowed_actions
from articles.services import create_version
from editorial import services
from editorial.exceptions import ActionNotPermitted, InvalidTransition
from editorial.models import AssignmentState, ReviewRound, RoundOutcome, RoundTrigger
from tests.editorial.conftest import approve, assign, in_review, new_version, refreshed, submit
from tests.factories import ChiefFactory

pytestmark = pytest.mark.django_db


def status_history(article):
    """(status, actor, reason) of each history row that changed the status, oldest first."""
    rows = list(article.history.order_by("history_date", "history_id"))
    changes, previous = [], None
    for row in rows:
        if row.status != previous:
            changes.append((row.status, row.history_user, row.history_change_reason))
            previous = row.status
    return changes


def approved_article(article, member):
    (assignment,) = in_review(article, member)
    approve(assignment)
    return refreshed(article)


# --- draft, changes_requested, expired, approved -> submitted ------------------------------------


def test_submit_from_draft_opens_a_round_on_the_current_version(article, editor):
    round = submit(article)

    article.refresh_from_db()
    assert article.status == S.SUBMITTED
    assert (round.version, round.trigger, round.opened_by, round.required_approvals) == (
        article.current_version,
        RoundTrigger.SUBMISSION,
        editor,
        1,
    )
    assert round.is_open
    assert status_history(article)[-1] == (S.SUBMITTED, editor, "Ready for review")


def test_a_high_risk_article_needs_two_approvals(high_risk_article):
    assert submit(high_risk_article).required_approvals == 2


def test_quorum_comes_from_settings(settings, high_risk_article):
    settings.REVIEW_QUORUM = {"standard": 1, "high": 3}
    assert submit(high_risk_article).required_approvals == 3


def test_resubmitting_after_changes_requested_needs_a_new_version(article, specialists):
    (assignment,) = in_review(article, specialists[0])
    services.decide(
        actor=specialists[0].user,
        assignment=assignment,
        decision="request_changes",
        comment="Cite the trial.",
    )

    with pytest.raises(InvalidTransition) as refused:
        submit(article)
    assert refused.value.code == "version_already_reviewed"

    new_version(article)
    submit(article)
    assert refreshed(article).status == S.SUBMITTED


def test_an_approved_article_is_resubmitted_with_a_newer_version_while_the_old_one_stays_published(
    article, specialists
):
    approved = approved_article(article, specialists[0])
    published = approved.published_version

    with pytest.raises(InvalidTransition) as refused:
        submit(article)
    assert refused.value.code == "version_already_reviewed"

    version = new_version(article)
    assert refreshed(article).status == S.APPROVED
    round = submit(article)

    article.refresh_from_db()
    assert (article.status, round.version, article.published_version) == (S.SUBMITTED, version, published)


def test_an_expired_article_is_submitted_again_as_it_is_for_re_review(article, specialists, system_user):
    approved_article(article, specialists[0])
    with time_machine.travel(timezone.now() + datetime.timedelta(days=366)):
        services.expire(actor=system_user, article=article, reason="Review date passed")
        round = services.submit(actor=system_user, article=article, reason="Re-review after expiry")

    article.refresh_from_db()
    assert article.status == S.SUBMITTED
    assert (round.version, round.trigger) == (article.published_version, RoundTrigger.RE_REVIEW)


@pytest.mark.parametrize("reason", ["", "   "])
def test_submit_needs_a_reason(article, reason):
    with pytest.raises(ValidationError):
        services.submit(actor=article.created_by, article=article, reason=reason)
    assert refreshed(article).status == S.DRAFT
    assert not ReviewRound.objects.exists()


def test_submit_from_submitted_is_an_invalid_transition_with_the_allowed_ones(article, editor):
    submit(article)
    with pytest.raises(InvalidTransition) as refused:
        submit(article)
    assert refused.value.code == "invalid_transition"
    assert refused.value.extra == {"status": S.SUBMITTED, "allowed_transitions": ["withdraw"]}
    assert ReviewRound.objects.count() == 1


def test_board_members_cannot_submit(article, specialists):
    with pytest.raises(ActionNotPermitted):
        submit(article, actor=specialists[0].user)
    assert refreshed(article).status == S.DRAFT


# --- submitted -> under_review ---------------------------------------------------------------------


def test_the_first_assignment_puts_the_article_under_review(article, specialists, editor):
    submit(article)
    first = assign(article, specialists[0])
    assert refreshed(article).status == S.UNDER_REVIEW
    assign(article, specialists[1])

    assert status_history(article)[-1] == (S.UNDER_REVIEW, editor, "Best placed to review")
    assert [row[0] for row in status_history(article)].count(S.UNDER_REVIEW) == 1
    assert first.state == AssignmentState.PENDING


def test_the_scheduler_can_start_a_review_by_auto_assigning(article, specialists, system_user):
    submit(article)
    services.auto_assign(actor=system_user, article=article, reason="Re-review policy")
    assert refreshed(article).status == S.UNDER_REVIEW
    assert status_history(article)[-1] == (S.UNDER_REVIEW, system_user, "Re-review policy")


def test_reviewers_cannot_be_assigned_to_a_draft(article, specialists):
    with pytest.raises(InvalidTransition) as refused:
        assign(article, specialists[0])
    assert refused.value.extra["status"] == S.DRAFT


# --- under_review -> approved ---------------------------------------------------------------------


def test_an_approval_reaching_the_quorum_publishes_the_version(article, specialists):
    (assignment,) = in_review(article, specialists[0])
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        approve(assignment, comment="Accurate and current.")

    article.refresh_from_db()
    round = ReviewRound.objects.get()
    assert article.status == S.APPROVED
    assert article.published_version == round.version == article.current_version
    assert article.last_reviewed_at == now
    assert article.review_due_at == now + datetime.timedelta(days=365)
    assert (round.outcome, round.closed_at) == (RoundOutcome.APPROVED, now)
    status, actor, reason = status_history(article)[-1]
    assert (status, actor) == (S.APPROVED, specialists[0].user)
    assert reason.startswith(f"Approved by {specialists[0].display_name}")


def test_the_review_interval_of_the_article_sets_the_next_due_date(article, specialists, chief):
    from articles.services import update_article

    update_article(actor=chief, article=article, reason="Fast-moving field", review_interval_days=90)
    approved = approved_article(article, specialists[0])
    assert approved.review_due_at - approved.last_reviewed_at == datetime.timedelta(days=90)


# --- under_review -> changes_requested / draft (rejected) -----------------------------------------


def test_a_request_for_changes_closes_the_round_and_cancels_the_other_reviews(high_risk_article, specialists):
    first, second = in_review(high_risk_article, specialists[0], specialists[1])
    services.decide(
        actor=specialists[0].user, assignment=first, decision="request_changes", comment="Dose is wrong."
    )

    high_risk_article.refresh_from_db()
    assert high_risk_article.status == S.CHANGES_REQUESTED
    assert ReviewRound.objects.get().outcome == RoundOutcome.CHANGES_REQUESTED
    assert refreshed(second).state == AssignmentState.CANCELLED
    assert status_history(high_risk_article)[-1] == (
        S.CHANGES_REQUESTED,
        specialists[0].user,
        "Request changes: Dose is wrong.",
    )


def test_a_rejection_closes_the_round_and_returns_the_article_to_draft(article, specialists):
    (assignment,) = in_review(article, specialists[0])
    services.decide(
        actor=specialists[0].user, assignment=assignment, decision="reject", comment="Not evidence-based."
    )

    article.refresh_from_db()
    assert article.status == S.DRAFT
    assert article.last_decided_version == article.current_version
    assert ReviewRound.objects.get().outcome == RoundOutcome.REJECTED
    with pytest.raises(InvalidTransition):
        submit(article)


# --- submitted, under_review -> draft (withdraw) ---------------------------------------------------


@pytest.mark.parametrize("assigned", [False, True])
def test_withdrawing_closes_the_round_and_cancels_open_assignments(article, specialists, editor, assigned):
    submit(article)
    assignment = assign(article, specialists[0]) if assigned else None

    services.withdraw(actor=editor, article=article, reason="Found an error ourselves")

    article.refresh_from_db()
    assert article.status == S.DRAFT
    assert ReviewRound.objects.get().outcome == RoundOutcome.WITHDRAWN
    if assignment:
        assert refreshed(assignment).state == AssignmentState.CANCELLED
    assert status_history(article)[-1] == (S.DRAFT, editor, "Found an error ourselves")
    # Nothing was decided, so the same version can go back into review.
    submit(article)


def test_withdrawing_a_draft_is_refused(article, editor):
    with pytest.raises(InvalidTransition) as refused:
        services.withdraw(actor=editor, article=article, reason="r")
    assert refused.value.extra["allowed_transitions"] == ["submit"]


def test_board_members_cannot_withdraw(article, specialists):
    submit(article)
    with pytest.raises(ActionNotPermitted):
        services.withdraw(actor=specialists[0].user, article=article, reason="r")
    assert refreshed(article).status == S.SUBMITTED


# --- a new version while a round is open ------------------------------------------------------------


def test_a_new_version_supersedes_the_open_round(article, specialists, editor):
    (assignment,) = in_review(article, specialists[0])
    version = new_version(article)

    article.refresh_from_db()
    assert (article.status, article.current_version) == (S.DRAFT, version)
    assert ReviewRound.objects.get().outcome == RoundOutcome.SUPERSEDED
    assert refreshed(assignment).state == AssignmentState.CANCELLED
    assert status_history(article)[-1] == (S.DRAFT, editor, "Revision")


def test_the_text_cannot_change_under_review_except_through_the_workflow(article, editor):
    submit(article)
    with pytest.raises(ArticleLocked):
        create_version(actor=editor, article=article, title="t", body="b", reason="r")
    assert article.versions.count() == 1


def test_board_members_cannot_write_versions(article, specialists):
    with pytest.raises(ActionNotPermitted):
        new_version(article, actor=specialists[0].user)


# --- approved -> expired ------------------------------------------------------------------------


def test_the_scheduler_expires_an_approval_whose_review_date_has_passed(article, specialists, system_user):
    approved_article(article, specialists[0])
    with time_machine.travel(timezone.now() + datetime.timedelta(days=366)):
        services.expire(actor=system_user, article=article, reason="Review interval of 365 days passed")

    article.refresh_from_db()
    assert article.status == S.EXPIRED
    assert article.published_version is not None
    assert status_history(article)[-1] == (S.EXPIRED, system_user, "Review interval of 365 days passed")


def test_an_approval_that_is_not_due_does_not_expire(article, specialists, system_user):
    approved_article(article, specialists[0])
    with pytest.raises(InvalidTransition) as refused:
        services.expire(actor=system_user, article=article, reason="r")
    assert refused.value.code == "review_not_due"


def test_only_the_scheduler_expires_articles(article, specialists, chief):
    approved_article(article, specialists[0])
    with time_machine.travel(timezone.now() + datetime.timedelta(days=366)):
        with pytest.raises(ActionNotPermitted):
            services.expire(actor=chief, article=article, reason="r")


# --- any but retired -> retired; retired -> draft -------------------------------------------------


@pytest.mark.parametrize("stage", ["draft", "submitted", "under_review", "approved", "changes_requested"])
def test_an_editor_in_chief_can_retire_from_any_status(article, specialists, chief, stage):
    if stage != "draft":
        submit(article)
    if stage in ("under_review", "approved", "changes_requested"):
        assignment = assign(article, specialists[0])
        if stage == "approved":
            approve(assignment)
        if stage == "changes_requested":
            services.decide(
                actor=specialists[0].user, assignment=assignment, decision="request_changes", comment="c"
            )

    services.retire(actor=chief, article=article, reason="Superseded by a new guideline page")

    article.refresh_from_db()
    assert article.status == S.RETIRED
    assert not ReviewRound.objects.open().exists()
    assert status_history(article)[-1] == (S.RETIRED, chief, "Superseded by a new guideline page")


def test_retiring_twice_is_refused(article, chief):
    services.retire(actor=chief, article=article, reason="r")
    with pytest.raises(InvalidTransition) as refused:
        services.retire(actor=chief, article=article, reason="r")
    assert refused.value.extra == {"status": S.RETIRED, "allowed_transitions": ["restore"]}


def test_editors_cannot_retire_or_restore(article, editor, chief):
    with pytest.raises(ActionNotPermitted):
        services.retire(actor=editor, article=article, reason="r")
    services.retire(actor=chief, article=article, reason="r")
    with pytest.raises(ActionNotPermitted):
        services.restore(actor=editor, article=article, reason="r")


def test_restoring_brings_a_retired_article_back_as_a_draft(article, chief):
    services.retire(actor=chief, article=article, reason="Out of scope")
    with pytest.raises(ArticleLocked):
        new_version(article)
    services.restore(actor=chief, article=article, reason="Back in scope")

    assert refreshed(article).status == S.DRAFT
    assert status_history(article)[-1] == (S.DRAFT, chief, "Back in scope")


def test_restoring_an_article_that_is_not_retired_is_refused(article):
    with pytest.raises(InvalidTransition):
        services.restore(actor=ChiefFactory(), article=article, reason="r")


# --- reading the state machine ---------------------------------------------------------------------


def test_allowed_actions_are_one_call_per_user(article, editor, chief, specialists):
    assert allowed_actions(article, editor) == ["submit"]
    assert allowed_actions(article, chief) == ["retire", "submit"]
    assert allowed_actions(article, specialists[0].user) == []


def test_auto_assigning_a_draft_is_refused(article, editor, specialists):
    with pytest.raises(InvalidTransition) as refused:
        services.auto_assign(actor=editor, article=article, reason="r")
    assert refused.value.extra["status"] == S.DRAFT
    assert not article.review_rounds.exists()
