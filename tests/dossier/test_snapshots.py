"""Each decision keeps what it was made under (ReviewAssignment.decision_snapshot), and decisions
made before that get what their history can honestly say (migration 0010)."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from articles.models import RiskLevel
from articles.services import update_article
from config.audit import audit
from editorial import services
from editorial.models import ReviewAssignment
from reviewers.models import BoardMember, ConflictOfInterest
from tests.editorial.conftest import approve, in_review, refreshed
from tests.factories import ArticleFactory, BoardMemberFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db

backfill = importlib.import_module("editorial.migrations.0010_decision_snapshot")


@pytest.fixture
def member(oncology, chief):
    member = BoardMemberFactory(
        specialties=[oncology],
        display_name="Dr Olivia Okafor",
        credentials="MD, PhD",
        credentials_verified_until=datetime.date(2099, 1, 31),
    )
    return member


def declare(member, chief, **fields):
    with audit(actor=chief, reason="Declared"):
        return ConflictOfInterest.objects.create(
            member=member, reason=fields.pop("reason", "Declared"), **fields
        )


def test_a_decision_records_what_it_was_made_under(oncology, editor, chief, member):
    """Seen: a regulator's question ("with which credentials, and had they declared an interest?")
    could not be answered as of the decision: the records only say how things are now."""
    article = ArticleFactory(
        specialty=oncology, actor=editor, risk_level=RiskLevel.HIGH, body="Roche and Phesgo."
    )
    other = ArticleFactory(specialty=oncology, actor=editor)
    today = timezone.localdate()
    lapsed = declare(
        member,
        chief,
        article=article,
        declared_on=today - datetime.timedelta(days=400),
        expires_on=today - datetime.timedelta(days=30),
        reason="Advisory board, 2024",
    )
    elsewhere = declare(member, chief, article=other, reason="Co-author of the cited trial")
    later = declare(
        member, chief, keyword="Roche", declared_on=today + datetime.timedelta(days=10), reason="Joins"
    )
    (assignment, _) = in_review(article, member, BoardMemberFactory(specialties=[oncology]))

    approve(assignment)

    snapshot = refreshed(assignment).decision_snapshot
    assert snapshot["source"] == "decision"
    assert snapshot["not_recorded"] == []
    assert snapshot["reviewer"] == {
        "member_id": member.pk,
        "name": "Dr Olivia Okafor",
        "username": member.user.username,
        "credentials": "MD, PhD",
        "credentials_verified_until": "2099-01-31",
        "specialties": [{"slug": "medical-oncology", "name": "Medical oncology"}],
        "active": True,
    }
    assert snapshot["as_specialist"] is True
    assert snapshot["article"] == {
        "risk_level": "high",
        "specialty": {"slug": "medical-oncology", "name": "Medical oncology"},
    }
    assert snapshot["quorum"] == {"required_approvals": 2, "specialist_required": True}
    assert snapshot["version"] == {
        "number": 1,
        "content_hash": article.current_version.content_hash,
        "provenance": "human",
        "generator": "",
        "model_version": "",
        "source_reference": "",
    }
    by_id = {conflict["id"]: conflict for conflict in snapshot["conflicts_of_interest"]}
    assert by_id[lapsed.pk] == {
        "id": lapsed.pk,
        "about_article": article.slug,
        "keyword": "",
        "reason": "Advisory board, 2024",
        "declared_on": lapsed.declared_on.isoformat(),
        "expires_on": lapsed.expires_on.isoformat(),
        "in_force": False,
        "covers_article": True,
    }
    assert (by_id[elsewhere.pk]["in_force"], by_id[elsewhere.pk]["covers_article"]) == (True, False)
    assert by_id[elsewhere.pk]["about_article"] == other.slug
    assert (by_id[later.pk]["in_force"], by_id[later.pk]["covers_article"]) == (False, True)


def test_the_snapshot_stays_as_it_was_when_things_change_later(oncology, editor, chief, member):
    article = ArticleFactory(specialty=oncology, actor=editor)
    (assignment,) = in_review(article, member)
    approve(assignment)
    before = refreshed(assignment).decision_snapshot

    member.credentials = "MD"
    with audit(actor=chief, reason="Corrected"):
        member.save()
    cardiology = SpecialtyFactory(slug="cardiology", name="Cardiology")
    update_article(actor=chief, article=refreshed(article), reason="Reclassified", specialty=cardiology)

    assert refreshed(assignment).decision_snapshot == before
    assert before["reviewer"]["credentials"] == "MD, PhD"


def test_a_request_for_changes_records_its_snapshot_too(oncology, editor, member):
    article = ArticleFactory(specialty=oncology, actor=editor)
    (assignment,) = in_review(article, member)

    services.decide(actor=member.user, assignment=assignment, decision="request_changes", comment="Cite it.")

    assert refreshed(assignment).decision_snapshot["reviewer"]["credentials"] == "MD, PhD"


def test_an_open_review_has_no_snapshot(oncology, editor, member):
    article = ArticleFactory(specialty=oncology, actor=editor)
    (assignment,) = in_review(article, member)

    assert refreshed(assignment).decision_snapshot == {}


class TestTheBackfill:
    def forget_snapshot(self, assignment):
        ReviewAssignment.objects.filter(pk=assignment.pk).update(decision_snapshot={})
        ReviewAssignment.history.filter(id=assignment.pk).update(decision_snapshot={})

    def test_fills_an_old_decision_from_history_as_it_was_then(self, oncology, editor, chief, member):
        article = ArticleFactory(specialty=oncology, actor=editor)
        conflict = declare(
            member, chief, keyword="Roche", declared_on=timezone.localdate() - datetime.timedelta(days=5)
        )
        with audit(actor=chief, reason="Ended"):
            conflict.expires_on = timezone.localdate() - datetime.timedelta(days=1)
            conflict.save()
        (assignment,) = in_review(article, member)
        approve(assignment)
        recorded = refreshed(assignment).decision_snapshot
        self.forget_snapshot(assignment)
        member.credentials = "MD"
        with audit(actor=chief, reason="Corrected later"):
            member.save()
            member.specialties.add(SpecialtyFactory(slug="cardiology", name="Cardiology"))

        backfill.fill_snapshots(apps, None)

        filled = refreshed(assignment).decision_snapshot
        assert (filled["source"], filled["not_recorded"]) == ("history", [])
        assert filled["reviewer"] == recorded["reviewer"]  # MD, PhD and oncology only, as then
        for part in ("article", "quorum", "as_specialist"):
            assert filled[part] == recorded[part]
        # The backfill writes issue 14's schema: the version's number and hash, not its provenance.
        assert filled["schema"] == 1
        assert filled["version"] == {key: recorded["version"][key] for key in ("number", "content_hash")}
        (then,) = filled["conflicts_of_interest"]
        assert (then["keyword"], then["in_force"], then["covers_article"]) == ("Roche", False, None)
        assert then["expires_on"] == conflict.expires_on.isoformat()
        decided = ReviewAssignment.history.filter(id=assignment.pk, state="completed")
        assert decided.exists()
        assert all(row.decision_snapshot == filled for row in decided)

    def test_marks_what_history_cannot_say_and_invents_nothing(self, oncology, editor, member):
        article = ArticleFactory(specialty=oncology, actor=editor)
        (assignment,) = in_review(article, member)
        approve(assignment)
        self.forget_snapshot(assignment)
        BoardMember.history.filter(id=member.pk).delete()  # a member whose history was never kept

        backfill.fill_snapshots(apps, None)

        filled = refreshed(assignment).decision_snapshot
        assert filled["not_recorded"] == ["reviewer"]
        assert filled["reviewer"] is None
        assert filled["version"]["content_hash"] == assignment.round.version.content_hash

    def test_leaves_decisions_with_a_snapshot_and_open_reviews_alone(self, oncology, editor, member):
        article = ArticleFactory(specialty=oncology, actor=editor)
        other = BoardMemberFactory(specialties=[oncology])
        (decided, waiting) = in_review(article, member, other)
        approve(decided)
        before = refreshed(decided).decision_snapshot

        backfill.fill_snapshots(apps, None)

        assert refreshed(decided).decision_snapshot == before
        assert refreshed(waiting).decision_snapshot == {}
