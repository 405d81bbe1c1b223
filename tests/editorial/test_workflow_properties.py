"""Random sequences of workflow calls by random actors, and of the later changes that could make an
approval untrue (a conflict declared, a member deactivated, credentials lapsing, the article
reclassified, retired and restored); the invariants are checked after each.

Each example runs in its own transaction (hypothesis' Django TestCase), builds a small board and
two articles, then plays the steps. A refused step must raise one of the workflow's own errors
and write nothing; an accepted one must leave the invariants true, among them: whenever the public
badge says approved, ``verify_approvals`` finds nothing.
"""

from __future__ import annotations

import datetime

import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from articles.models import ArticleStatus as S
from articles.models import ArticleVersion, RiskLevel
from articles.services import update_article
from config.audit import audit
from config.errors import ApplicationError
from editorial import services
from editorial.integrity.audit import verify_approvals
from editorial.integrity.revalidation import revalidate_board
from editorial.models import AssignmentState, Decision, ReviewAssignment, ReviewRound, RoundOutcome
from editorial.public.selectors import public_badge
from reviewers.models import ConflictOfInterest
from reviewers.services import get_system_user
from tests.factories import ArticleFactory, BoardMemberFactory, ChiefFactory, EditorFactory, SpecialtyFactory

ACTIONS = [
    "progress",
    "submit",
    "withdraw",
    "add_version",
    "assign",
    "assign_override",
    "auto_assign",
    "accept",
    "decline",
    "decide",
    "approve_all",
    "retire",
    "restore",
    "expire",
    "advance_clock",
    # Later changes to what an approval relies on.
    "declare_conflict",
    "deactivate_member",
    "reactivate_member",
    "lapse_credentials",
    "renew_credentials",
    "reclassify",
    "change_interval",
    "daily_check",
]
# The steps of a successful review come up more often than the ones that end it (retire), so that
# sequences reach approval and expiry as well as every refusal.
WEIGHTS = {"progress": 12, "decide": 3, "auto_assign": 2, "submit": 2, "advance_clock": 2}
# "progress" takes the next step of a successful review for the article's status.
PROGRESS = {
    S.DRAFT: "submit",
    S.SUBMITTED: "auto_assign",
    S.UNDER_REVIEW: "decide",
    S.APPROVED: "expire",
    S.EXPIRED: "submit",
    S.CHANGES_REQUESTED: "add_version",
    S.RETIRED: "restore",
}
WEIGHTED_ACTIONS = [action for action in ACTIONS for _ in range(WEIGHTS.get(action, 1))]
ACTORS = ["editor", "chief", "system", "member0", "member1", "member2", "member3", "cardiologist"]
# "natural" is whoever normally takes the step (the editor submits, the assigned member decides);
# weighted so that sequences get far into the workflow as well as trying every wrong actor.
NATURAL_ACTOR = {
    "submit": "editor",
    "withdraw": "editor",
    "add_version": "editor",
    "assign": "editor",
    "auto_assign": "editor",
    "assign_override": "chief",
    "retire": "chief",
    "restore": "chief",
    "expire": "system",
    "reclassify": "editor",
    "change_interval": "editor",
}

steps_strategy = st.lists(
    st.tuples(
        st.sampled_from(WEIGHTED_ACTIONS),
        st.sampled_from(["natural"] * 8 + ACTORS),
        st.sampled_from([0, 0, 0, 1]),  # which article (mostly one, so that sequences go far)
        st.integers(min_value=0, max_value=7),  # which member / assignment
        st.sampled_from([Decision.APPROVE] * 4 + [Decision.REQUEST_CHANGES, Decision.REJECT]),
    ),
    min_size=10,
    max_size=40,
)


def history_row_count() -> int:
    return sum(
        model.objects.count() for model in apps.get_models() if model.__name__.startswith("Historical")
    )


class WorkflowInvariants(TestCase):
    def build_world(self) -> None:
        oncology = SpecialtyFactory(name="Medical oncology", slug="medical-oncology")
        cardiology = SpecialtyFactory(name="Cardiology", slug="cardiology")
        editor, chief = EditorFactory(), ChiefFactory()
        # Credentials checked far ahead, so that moving the clock to expire approvals does not
        # also make every member ineligible.
        verified = timezone.localdate() + datetime.timedelta(days=3650)
        members = [
            BoardMemberFactory(
                specialties=[oncology], max_open_reviews=2, credentials_verified_until=verified
            )
            for _ in range(4)
        ]
        ConflictOfInterest.objects.create(member=members[3], keyword="Roche", reason="Advisory board")
        cardiologist = BoardMemberFactory(specialties=[cardiology], credentials_verified_until=verified)
        self.actors = {
            "editor": editor,
            "chief": chief,
            "system": get_system_user(),
            **{f"member{i}": member.user for i, member in enumerate(members)},
            "cardiologist": cardiologist.user,
        }
        self.members = [*members, cardiologist]
        self.specialties = [oncology, cardiology]
        self.articles = [
            ArticleFactory(specialty=oncology, actor=editor, body="Docetaxel with pertuzumab (Roche)."),
            ArticleFactory(specialty=oncology, actor=editor, risk_level=RiskLevel.HIGH),
        ]
        self.version_snapshot: dict[int, tuple[str, str, str]] = {}
        self.snapshot_versions()

    def snapshot_versions(self) -> None:
        for version in ArticleVersion.objects.all():
            self.version_snapshot.setdefault(version.pk, (version.title, version.body, version.content_hash))

    def play(self, action, actor_name, article, index, decision) -> bool:
        """Take the step; False when it names an assignment and there is none."""
        progress = action == "progress"
        if progress:
            action = PROGRESS[article.status]
            actor_name = "natural"
        # Open assignments first, so that most picks are ones a reviewer could still act on.
        assignments = sorted(
            ReviewAssignment.objects.filter(round__article=article).select_related("reviewer__user"),
            key=lambda a: (not a.is_open, -a.pk),
        )
        if progress:
            index = 0  # the first open assignment
        assignment = assignments[index % len(assignments)] if assignments else None
        member = self.members[index % len(self.members)]
        if actor_name != "natural":
            actor = self.actors[actor_name]
        elif action in NATURAL_ACTOR:
            actor = self.actors[NATURAL_ACTOR[action]]
        else:  # a reviewer's step
            actor = assignment.reviewer.user if assignment else self.actors["editor"]
        if action == "submit":
            services.submit(actor=actor, article=article, reason="Ready")
        elif action == "withdraw":
            services.withdraw(actor=actor, article=article, reason="Withdrawn")
        elif action == "add_version":
            services.add_version(
                actor=actor, article=article, title="T", body=f"Revision {index}", reason="Revised"
            )
        elif action == "assign":
            services.assign(actor=actor, article=article, reviewer=member, reason="Assigned")
        elif action == "assign_override":
            services.assign(
                actor=actor, article=article, reviewer=member, reason="Assigned", override_reason="Needed"
            )
        elif action == "auto_assign":
            services.auto_assign(actor=actor, article=article, reason="Auto")
        elif action in ("accept", "decline", "decide") and assignment is None:
            return False
        elif action == "accept":
            services.accept(actor=actor, assignment=assignment)
        elif action == "decline":
            services.decline(actor=actor, assignment=assignment, reason="Busy")
        elif action == "decide":
            services.decide(actor=actor, assignment=assignment, decision=decision, comment="Because")
        elif action == "approve_all":
            # Every open assignment of the article approves, one after another, until the round
            # closes (the quorum cancels the rest).
            with transaction.atomic():
                for open_assignment in [a for a in assignments if a.is_open]:
                    open_assignment.refresh_from_db()
                    if open_assignment.is_open:
                        services.decide(
                            actor=open_assignment.reviewer.user,
                            assignment=open_assignment,
                            decision="approve",
                        )
        elif action == "retire":
            services.retire(actor=actor, article=article, reason="Retired")
        elif action == "restore":
            services.restore(actor=actor, article=article, reason="Restored")
        elif action == "declare_conflict":
            # About this article, or naming a maker its first version mentions.
            with audit(actor=self.actors["chief"], reason="Declared"):
                ConflictOfInterest.objects.create(
                    member=member,
                    article=article if index % 2 else None,
                    keyword="" if index % 2 else "Roche",
                    reason="Consultancy",
                    declared_on=timezone.localdate(),
                )
        elif action in ("deactivate_member", "reactivate_member"):
            member.is_active = action == "reactivate_member"
            with audit(actor=self.actors["chief"], reason="Board membership changed"):
                member.save()
        elif action in ("lapse_credentials", "renew_credentials"):
            days = -1 if action == "lapse_credentials" else 3650
            member.credentials_verified_until = timezone.localdate() + datetime.timedelta(days=days)
            with audit(actor=self.actors["chief"], reason="Credential check"):
                member.save()
        elif action == "reclassify":
            if index % 2:
                changes = {
                    "risk_level": RiskLevel.HIGH
                    if article.risk_level == RiskLevel.STANDARD
                    else RiskLevel.STANDARD
                }
            else:
                changes = {"specialty": self.specialties[index // 2 % 2]}
            update_article(actor=actor, article=article, reason="Reclassified", **changes)
        elif action == "change_interval":
            update_article(
                actor=actor, article=article, reason="New interval", review_interval_days=[30, 400][index % 2]
            )
        elif action == "daily_check":
            revalidate_board()
        elif action == "expire":
            # Time passes until the review is due, then the scheduler marks it.
            if article.review_due_at and timezone.now() < article.review_due_at:
                self.clock = article.review_due_at + datetime.timedelta(days=1)
                with time_machine.travel(self.clock, tick=False):
                    services.expire(actor=actor, article=article, reason="Review date passed")
            else:
                services.expire(actor=actor, article=article, reason="Review date passed")
        return True

    def check_invariants(self) -> None:
        for article in self.articles:
            article.refresh_from_db()
            event(f"reached {article.status}")
            open_rounds = list(ReviewRound.objects.filter(article=article, closed_at__isnull=True))
            # At most one open round, and it exists exactly while the article is in review.
            assert len(open_rounds) <= 1
            assert bool(open_rounds) == (article.status in (S.SUBMITTED, S.UNDER_REVIEW)), article.status
            if open_rounds:
                has_assignments = open_rounds[0].assignments.exists()
                assert has_assignments == (article.status == S.UNDER_REVIEW)
                assert open_rounds[0].version_id == article.current_version_id
            # The published version is always one a round approved.
            if article.published_version_id is not None:
                assert ReviewRound.objects.filter(
                    article=article, version=article.published_version_id, outcome=RoundOutcome.APPROVED
                ).exists()
            # Every history row, and so every status change, names its actor and reason.
            for row in article.history.all():
                assert row.history_user_id is not None and row.history_change_reason, row
        for round in ReviewRound.objects.filter(outcome=RoundOutcome.APPROVED):
            approvals = round.assignments.filter(state=AssignmentState.COMPLETED, decision=Decision.APPROVE)
            assert approvals.count() >= round.required_approvals
            assert set(approvals.values_list("decided_content_hash", flat=True)) == {
                round.version.content_hash
            }
        assert not ReviewAssignment.objects.filter(
            state__in=[AssignmentState.PENDING, AssignmentState.ACCEPTED], round__closed_at__isnull=False
        ).exists()
        # Whenever the public badge says approved, the audit finds nothing.
        violations = verify_approvals(now=self.clock).violations
        assert violations == [], violations
        for article in self.articles:
            if public_badge(article, now=self.clock).name == "approved":
                event("badge approved")
        # No version is ever modified.
        for version in ArticleVersion.objects.all():
            assert self.version_snapshot.get(
                version.pk, (version.title, version.body, version.content_hash)
            ) == (
                version.title,
                version.body,
                version.content_hash,
            )
            assert version.recompute_content_hash() == version.content_hash
        self.snapshot_versions()

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(steps=steps_strategy)
    def test_invariants_hold_after_every_step(self, steps):
        self.build_world()
        self.clock = timezone.now()
        for action, actor_name, article_index, index, decision in steps:
            if action == "advance_clock":
                self.clock += datetime.timedelta(days=400)
                continue
            # Each step a second after the last, so that the records say in which order they came.
            self.clock += datetime.timedelta(seconds=1)
            article = self.articles[article_index]
            article.refresh_from_db()
            rows_before = history_row_count()
            with time_machine.travel(self.clock, tick=False):
                try:
                    took_place = self.play(action, actor_name, article, index, decision)
                    event(f"{action}: {'done' if took_place else 'skipped'}")
                except (ApplicationError, ValidationError) as refusal:
                    event(f"{action}: refused ({getattr(refusal, 'code', 'invalid')})")
                    assert history_row_count() == rows_before, f"{action} was refused but wrote history"
            self.check_invariants()
