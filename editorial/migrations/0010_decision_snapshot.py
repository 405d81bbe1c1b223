"""ReviewAssignment.decision_snapshot: what a decision was made under (editorial/dossier/snapshots.py).

Decisions made before it existed get what their records can honestly say, from history and from
what issue 10 already recorded with each decision (risk level, specialty, specialist or not, the
content hash), marked ``"source": "history"``:

- the reviewer's name, credentials, credential check, active flag and specialties as of the
  decision, from the board member's historical row at or before it; with no such row they are
  ``None`` and listed in ``not_recorded``;
- the conflicts of interest the reviewer had declared by then, each as its historical row at or
  before the decision (one deleted by then is left out), in force on that day or not; whether a
  keyword conflict covered the article is ``None`` (it depends on a text search this migration
  does not repeat), one about the article covered it;
- the round's required approvals, and a specialist needed for a high risk level.

The snapshot is a fact of the decision, not a change made now: the assignment's historical rows
from the decision on get the same value, and no new historical row is written.
"""

from django.db import migrations, models
from django.utils import timezone


def _date(value):
    return value.isoformat() if value is not None else None


def _reviewer_then(apps, assignment):
    HistoricalBoardMember = apps.get_model("reviewers", "HistoricalBoardMember")
    HistoricalSpecialties = apps.get_model("reviewers", "HistoricalBoardMember_specialties")
    row = (
        HistoricalBoardMember.objects.filter(
            id=assignment.reviewer_id, history_date__lte=assignment.decided_at
        )
        .exclude(history_type="-")
        .order_by("-history_date", "-history_id")
        .first()
    )
    if row is None:
        return None
    specialties = (
        HistoricalSpecialties.objects.filter(history_id=row.history_id, specialty__isnull=False)
        .select_related("specialty")
        .order_by("specialty__name")
    )
    return {
        "member_id": assignment.reviewer_id,
        "name": row.display_name,
        "username": assignment.reviewer.user.username,
        "credentials": row.credentials,
        "credentials_verified_until": _date(row.credentials_verified_until),
        "specialties": [{"slug": m2m.specialty.slug, "name": m2m.specialty.name} for m2m in specialties],
        "active": row.is_active,
    }


def _conflicts_then(apps, assignment, article):
    HistoricalConflict = apps.get_model("reviewers", "HistoricalConflictOfInterest")
    Article = apps.get_model("articles", "Article")
    on = timezone.localdate(assignment.decided_at)
    latest = {}
    for row in HistoricalConflict.objects.filter(
        member_id=assignment.reviewer_id, history_date__lte=assignment.decided_at
    ).order_by("history_date", "history_id"):
        latest[row.id] = row
    conflicts = []
    for row in sorted(latest.values(), key=lambda row: (row.declared_on, row.id)):
        if row.history_type == "-":
            continue
        in_force = row.declared_on <= on and (row.expires_on is None or row.expires_on >= on)
        about = None
        if row.article_id is not None:
            about = Article.objects.filter(pk=row.article_id).values_list("slug", flat=True).first()
        conflicts.append(
            {
                "id": row.id,
                "about_article": about,
                "keyword": row.keyword,
                "reason": row.reason,
                "declared_on": _date(row.declared_on),
                "expires_on": _date(row.expires_on),
                "in_force": in_force,
                "covers_article": True if row.article_id == article.pk else (None if row.keyword else False),
            }
        )
    return conflicts


def snapshot_from_history(apps, assignment):
    round = assignment.round
    article = round.article
    reviewer = _reviewer_then(apps, assignment)
    not_recorded = [] if reviewer is not None else ["reviewer"]
    return {
        "schema": 1,
        "source": "history",
        "not_recorded": not_recorded,
        "reviewer": reviewer,
        "as_specialist": assignment.decided_as_specialist,
        "override_reason": assignment.override_reason,
        "conflicts_of_interest": _conflicts_then(apps, assignment, article),
        "article": {
            "risk_level": assignment.decided_risk_level,
            "specialty": {
                "slug": assignment.decided_specialty.slug,
                "name": assignment.decided_specialty.name,
            },
        },
        "quorum": {
            "required_approvals": round.required_approvals,
            "specialist_required": assignment.decided_risk_level == "high",
        },
        "version": {"number": round.version.number, "content_hash": assignment.decided_content_hash},
    }


def fill_snapshots(apps, schema_editor):
    ReviewAssignment = apps.get_model("editorial", "ReviewAssignment")
    HistoricalReviewAssignment = apps.get_model("editorial", "HistoricalReviewAssignment")
    decided = (
        ReviewAssignment.objects.filter(state="completed", decision_snapshot={})
        .select_related("round__article", "round__version", "reviewer__user", "decided_specialty")
        .order_by("pk")
    )
    for assignment in decided.iterator(chunk_size=500):
        snapshot = snapshot_from_history(apps, assignment)
        ReviewAssignment.objects.filter(pk=assignment.pk).update(decision_snapshot=snapshot)
        HistoricalReviewAssignment.objects.filter(
            id=assignment.pk, history_date__gte=assignment.decided_at, state="completed"
        ).update(decision_snapshot=snapshot)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0004_text_is_markdown_not_html"),
        ("reviewers", "0003_ordering_without_joins"),
        ("editorial", "0009_fill_round_base_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalreviewassignment",
            name="decision_snapshot",
            field=models.JSONField(
                blank=True,
                default=dict,
                editable=False,
                help_text="What the decision was made under: the reviewer's credentials, specialties and "
                "declared conflicts of interest, the article's classification, the quorum rule and the "
                "content hash (editorial.dossier.snapshots).",
            ),
        ),
        migrations.AddField(
            model_name="reviewassignment",
            name="decision_snapshot",
            field=models.JSONField(
                blank=True,
                default=dict,
                editable=False,
                help_text="What the decision was made under: the reviewer's credentials, specialties and "
                "declared conflicts of interest, the article's classification, the quorum rule and the "
                "content hash (editorial.dossier.snapshots).",
            ),
        ),
        migrations.RunPython(fill_snapshots, migrations.RunPython.noop, elidable=False),
    ]
