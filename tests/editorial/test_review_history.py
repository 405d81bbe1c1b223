"""A review's history page says what happened to the review in words: assigned, approved,
changes requested or rejected with the comment, declined, cancelled, its due date moved. (Before:
"Changed", and the fields' raw values.)"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from editorial import services
from tests.config.test_history_list import history_table, history_url, signed_in, text
from tests.editorial.conftest import approve, assign, submit
from tests.factories import ArticleFactory, BoardMemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(oncology):
    return [
        BoardMemberFactory(specialties=[oncology], display_name=name)
        for name in ("Dr Ada Okafor", "Dr Ben Lindqvist", "Dr Cleo Nakamura")
    ]


def review_of(members, editor, oncology, slug: str, index: int = 0):
    article = ArticleFactory(specialty=oncology, actor=editor, slug=slug, title=f"{slug}?")
    submit(article)
    return assign(article, members[index])


def history_of(review, user) -> str:
    return text(history_table(signed_in(user).get(history_url(review))))


def test_an_approval_and_a_request_for_changes_in_words(members, editor, oncology, chief):
    approval = review_of(members, editor, oncology, "approved")
    approve(approval, comment="Matches the guideline.")
    sent_back = review_of(members, editor, oncology, "returned", index=1)
    services.decide(
        actor=members[1].user, assignment=sent_back, decision="request_changes", comment="Cite the trial."
    )

    approved, returned = history_of(approval, chief), history_of(sent_back, chief)

    assert "Assigned to Dr Ada Okafor, due " in approved
    assert "Approved by Dr Ada Okafor: Matches the guideline." in approved
    assert "State: Pending → Completed" in approved
    assert "Changes requested by Dr Ben Lindqvist: Cite the trial." in returned
    assert "Decision: - → Request changes" in returned


def test_a_decline_and_a_new_due_date_in_words(members, editor, oncology, chief):
    declined = review_of(members, editor, oncology, "declined")
    services.decline(actor=members[0].user, assignment=declined, reason="On leave this month.")
    moved = review_of(members, editor, oncology, "moved", index=2)
    new_due = timezone.now() + datetime.timedelta(days=30)
    services.extend_due_dates(actor=chief, assignments=[moved], due_at=new_due, reason="Congress week")

    assert "Declined by Dr Ada Okafor: On leave this month." in history_of(declined, chief)
    assert "Due date moved to " in history_of(moved, chief)


def test_a_board_member_reads_their_own_reviews_history_in_words(members, editor, oncology):
    approval = review_of(members, editor, oncology, "mine")
    approve(approval)

    assert "Approved by Dr Ada Okafor" in history_of(approval, members[0].user)
