"""What a decision was made under, recorded with it (``ReviewAssignment.decision_snapshot``).

A regulator's question about an approval is about the moment it was given: the reviewer's
credentials and specialties then, the conflicts of interest they had declared by then (in force
or not), the article's risk level and specialty then, the quorum rule the round ran under, and the
exact text and who or what wrote it (its provenance). All of these can change later; the
snapshot keeps them as they were.

``source`` says how it was recorded: ``decision`` (by the decision itself, in its transaction) or
``history`` (filled afterwards for decisions made before snapshots existed, from the history kept
of each record; migration 0010). What history could not tell is ``None`` and named in
``not_recorded``: nothing is guessed.
"""

from __future__ import annotations

import datetime
from typing import Any

from articles.models import ArticleVersion, RiskLevel
from editorial import eligibility
from editorial.models import ReviewAssignment, ReviewRound
from reviewers.models import BoardMember, ConflictOfInterest, Specialty

# 1: issue 14's snapshot; 2: the version also records its provenance (issue 15). Snapshots are
# never rewritten, so those written before keep schema 1 (the version row still has its
# provenance, which for text written before it was recorded is "not_recorded").
SNAPSHOT_SCHEMA = 2


class Source:
    DECISION = "decision"
    HISTORY = "history"


def _date(value: datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def specialty_record(specialty: Specialty) -> dict[str, str]:
    return {"slug": specialty.slug, "name": specialty.name}


def conflict_record(
    conflict: ConflictOfInterest, *, on: datetime.date, covers_article: bool | None, about_article: str | None
) -> dict[str, Any]:
    """A declared conflict as it stood on ``on``: in force then or not, and whether it covers the
    article decided on (``None`` where that cannot be known)."""
    in_force = conflict.declared_on <= on and (conflict.expires_on is None or conflict.expires_on >= on)
    return {
        "id": conflict.pk,
        "about_article": about_article,
        "keyword": conflict.keyword,
        "reason": conflict.reason,
        "declared_on": _date(conflict.declared_on),
        "expires_on": _date(conflict.expires_on),
        "in_force": in_force,
        "covers_article": covers_article,
    }


def decision_snapshot(
    *,
    assignment: ReviewAssignment,
    round: ReviewRound,
    member: BoardMember,
    facts: eligibility.RoundFacts,
) -> dict[str, Any]:
    """The snapshot a decision writes, read inside its transaction (the article, round and
    assignment locked): a few queries, among them the member's specialties and every conflict
    they have declared (each says whether it was in force and whether it covers this article)."""
    article = round.article
    today = facts.today
    conflicts = list(member.conflicts_of_interest.select_related("article").order_by("declared_on", "pk"))
    covering = {conflict.pk for conflict in eligibility.conflicts_covering(conflicts, facts)}
    return {
        "schema": SNAPSHOT_SCHEMA,
        "source": Source.DECISION,
        "not_recorded": [],
        "reviewer": {
            "member_id": member.pk,
            "name": member.display_name,
            "username": member.user.get_username(),
            "credentials": member.credentials,
            "credentials_verified_until": _date(member.credentials_verified_until),
            "specialties": [specialty_record(specialty) for specialty in member.specialties.all()],
            "active": member.is_active,
        },
        "as_specialist": bool(assignment.decided_as_specialist),
        "override_reason": assignment.override_reason,
        "conflicts_of_interest": [
            conflict_record(
                conflict,
                on=today,
                covers_article=conflict.pk in covering,
                about_article=conflict.article.slug if conflict.article_id is not None else None,
            )
            for conflict in conflicts
        ],
        "article": {
            "risk_level": article.risk_level,
            "specialty": specialty_record(article.specialty),
        },
        "quorum": {
            "required_approvals": round.required_approvals,
            "specialist_required": article.risk_level == RiskLevel.HIGH,
        },
        "version": version_record(round.version),
    }


def version_record(version: ArticleVersion) -> dict[str, Any]:
    """The version decided on: its number, the hash of its text and its provenance."""
    return {
        "number": version.number,
        "content_hash": version.content_hash,
        "provenance": version.provenance,
        "generator": version.generator,
        "model_version": version.model_version,
        "source_reference": version.source_reference,
    }
