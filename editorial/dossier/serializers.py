"""The dossier's entries as data: one object per entry, with the fields every entry has (when,
what kind, which version, who, a line for people) and the record of its kind under the key of the
same name (the other kinds' keys are null). The serializers describe that shape for the OpenAPI
schema; ``entry_data`` builds it. ``CSV_COLUMNS`` is the CSV's header."""

from __future__ import annotations

import json
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from articles.models import Article, ArticleStatus, RiskLevel
from articles.provenance import MACHINE_WRITTEN, Provenance
from editorial.dossier.selectors import KINDS, Entry, Kind
from editorial.models import Decision, RoundOutcome, RoundTrigger
from editorial.webhooks.models import DeliveryStatus, EventType


def _person(user: Any) -> dict[str, str] | None:
    if user is None:
        return None
    return {"username": user.get_username(), "name": user.get_full_name() or user.get_username()}


def _version_created(version: Any) -> dict[str, Any]:
    return {
        "number": version.number,
        "title": version.title,
        "content_hash": version.content_hash,
        "change_summary": version.change_summary,
        "provenance": version.provenance,
        "generator": version.generator,
        "model_version": version.model_version,
        "source_reference": version.source_reference,
    }


def provenance_words(details: dict[str, Any]) -> str:
    """Who or what wrote a version, for people: "" for a person's text (the entry names them)."""
    kind = details.get("provenance")
    if kind not in MACHINE_WRITTEN:
        return " (provenance not recorded)" if kind == Provenance.NOT_RECORDED else ""
    made = [f"generator {details['generator']}", f"model {details['model_version']}"]
    if details.get("source_reference"):
        made.append(f"source {details['source_reference']}")
    return f" ({Provenance(kind).label}: {', '.join(made)})"


def _round_opened(round: Any) -> dict[str, Any]:
    return {
        "round": round.pk,
        "version": round.version_number,
        "base_version": round.base_version_number,
        "trigger": round.trigger,
        "required_approvals": round.required_approvals,
    }


def _review_assigned(assignment: Any) -> dict[str, Any]:
    return {
        "assignment": assignment.pk,
        "round": assignment.round_id,
        "reviewer": assignment.reviewer.display_name,
        "reviewer_credentials": assignment.reviewer.credentials,
        "due_at": serializers.DateTimeField().to_representation(assignment.due_at),
        "override_reason": assignment.override_reason,
        "state": assignment.state,
        "cancel_reason": assignment.cancel_reason,
    }


def _decision(assignment: Any) -> dict[str, Any]:
    voided_at = assignment.voided_at
    return {
        "assignment": assignment.pk,
        "round": assignment.round_id,
        "reviewer": assignment.reviewer.display_name,
        "decision": assignment.decision,
        "comment": assignment.comment,
        "content_hash": assignment.decided_content_hash,
        "snapshot": assignment.decision_snapshot,
        "cited_comments": [
            {"id": citation.comment.pk, "quote": citation.comment.exact, "body": citation.comment.body}
            for citation in assignment.citations.all()
        ],
        "voided_at": serializers.DateTimeField().to_representation(voided_at) if voided_at else None,
        "void_reason": assignment.void_reason,
    }


def _round_closed(round: Any) -> dict[str, Any]:
    return {"round": round.pk, "outcome": round.outcome}


def _transition(row: Any) -> dict[str, Any]:
    return {
        "from_status": row.previous_status,
        "to_status": row.status,
        "reason": row.history_change_reason or "",
    }


def _webhook_delivery(delivery: Any) -> dict[str, Any]:
    delivered_at = delivery.delivered_at
    return {
        "webhook_id": delivery.event.webhook_id,
        "event_type": delivery.event.type,
        "endpoint": delivery.endpoint.url,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "delivered_at": serializers.DateTimeField().to_representation(delivered_at) if delivered_at else None,
    }


DETAILS = {
    Kind.VERSION_CREATED: _version_created,
    Kind.ROUND_OPENED: _round_opened,
    Kind.REVIEW_ASSIGNED: _review_assigned,
    Kind.DECISION: _decision,
    Kind.ROUND_CLOSED: _round_closed,
    Kind.TRANSITION: _transition,
    Kind.WEBHOOK_DELIVERY: _webhook_delivery,
}


def _label(choices: Any, value: str | None) -> str:
    return str(choices(value).label) if value in choices.values else str(value or "")


def summary(entry: Entry, details: dict[str, Any]) -> str:
    """The entry in one line, for people (the printable page and the CSV)."""
    who = (
        (entry.actor.get_full_name() or entry.actor.get_username())
        if entry.actor is not None
        else "the system"
    )
    match entry.kind:
        case Kind.VERSION_CREATED:
            line = f"Version {details['number']} written by {who}{provenance_words(details)}"
            return line + (f": {details['change_summary']}" if details["change_summary"] else "")
        case Kind.ROUND_OPENED:
            base = details["base_version"]
            compared = f"compared against version {base}" if base else "nothing to compare against"
            return (
                f"Review round opened on version {details['version']} by {who} ({compared}); "
                f"{details['required_approvals']} approval(s) needed"
            )
        case Kind.REVIEW_ASSIGNED:
            line = f"{details['reviewer']} ({details['reviewer_credentials']}) assigned by {who}"
            return line + (
                f"; outside the specialty: {details['override_reason']}" if details["override_reason"] else ""
            )
        case Kind.DECISION:
            line = (
                f"{details['reviewer']}: {_label(Decision, details['decision'])} on version {entry.version}"
            )
            decided_on = (details["snapshot"] or {}).get("version") or {}
            line += provenance_words(decided_on)
            if details["comment"]:
                line += f": {details['comment']}"
            if details["voided_at"]:
                line += f" (voided: {details['void_reason']})"
            return line
        case Kind.ROUND_CLOSED:
            return (
                f"Review round on version {entry.version} closed: {_label(RoundOutcome, details['outcome'])}"
            )
        case Kind.TRANSITION:
            before = _label(ArticleStatus, details["from_status"]) if details["from_status"] else "created"
            line = f"{before} → {_label(ArticleStatus, details['to_status'])} by {who}"
            return line + (f": {details['reason']}" if details["reason"] else "")
        case _:
            return (
                f"Webhook {details['event_type']} ({details['webhook_id']}) to {details['endpoint']}: "
                f"{_label(DeliveryStatus, details['status'])} after {details['attempts']} attempt(s)"
            )


def entry_data(entry: Entry) -> dict[str, Any]:
    details = DETAILS[entry.kind](entry.record)
    return {
        "at": serializers.DateTimeField().to_representation(entry.position.at),
        "kind": entry.kind,
        "version": entry.version,
        "actor": _person(entry.actor),
        "summary": summary(entry, details),
        **dict.fromkeys(KINDS),
        entry.kind: details,
    }


def article_data(article: Article) -> dict[str, Any]:
    return {
        "slug": article.slug,
        "title": article.title,
        "specialty": article.specialty.name,
        "risk_level": article.risk_level,
        "status": article.status,
        "current_version": article.current_version.number if article.current_version_id else None,
        "published_version": article.published_version.number if article.published_version_id else None,
    }


# CSV: one row per entry, in time order (docs/workflow.md, "The review dossier").
CSV_COLUMNS = ["at", "kind", "version", "actor_username", "actor_name", "summary", "content_hash", "details"]


def csv_row(data: dict[str, Any]) -> dict[str, Any]:
    details = data[data["kind"]]
    actor = data["actor"] or {}
    return {
        "at": data["at"],
        "kind": data["kind"],
        "version": data["version"] if data["version"] is not None else "",
        "actor_username": actor.get("username", ""),
        "actor_name": actor.get("name", ""),
        "summary": data["summary"],
        "content_hash": details.get("content_hash", ""),
        "details": json.dumps(details, ensure_ascii=False, sort_keys=True),
    }


# --- The shape, for the OpenAPI schema ------------------------------------------------------------


class DossierPersonSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()


class DossierVersionCreatedSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    content_hash = serializers.CharField(help_text="SHA-256 of the version's title, text and references.")
    change_summary = serializers.CharField(allow_blank=True)
    provenance = serializers.ChoiceField(choices=Provenance.choices, help_text="Who or what wrote it.")
    generator = serializers.CharField(allow_blank=True)
    model_version = serializers.CharField(allow_blank=True)
    source_reference = serializers.CharField(allow_blank=True)


class DossierRoundOpenedSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    version = serializers.IntegerField(help_text="The version under review.")
    base_version = serializers.IntegerField(
        allow_null=True, help_text="The version its reviewers compared against (ReviewRound.base_version)."
    )
    trigger = serializers.ChoiceField(choices=RoundTrigger.choices)
    required_approvals = serializers.IntegerField()


class DossierReviewAssignedSerializer(serializers.Serializer):
    assignment = serializers.IntegerField()
    round = serializers.IntegerField()
    reviewer = serializers.CharField()
    reviewer_credentials = serializers.CharField(allow_blank=True)
    due_at = serializers.DateTimeField()
    override_reason = serializers.CharField(allow_blank=True)
    state = serializers.CharField(help_text="The review's state now.")
    cancel_reason = serializers.CharField(allow_blank=True)


class DossierCitedCommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    quote = serializers.CharField(help_text="The passage the reviewer selected.")
    body = serializers.CharField()


DECISION_SNAPSHOT_SCHEMA = {
    "type": "object",
    "description": "What the decision was made under (docs/architecture.md, 'The decision snapshot'): "
    "schema, source (decision, or history for older decisions), not_recorded (the parts history "
    "could not tell, null), reviewer (name, username, credentials, credentials_verified_until, "
    "specialties, active), as_specialist, override_reason, conflicts_of_interest (each with "
    "about_article, keyword, reason, declared_on, expires_on, in_force, covers_article), article "
    "(risk_level, specialty), quorum (required_approvals, specialist_required), version (number, "
    "content_hash; from schema 2 also provenance, generator, model_version, source_reference).",
    "additionalProperties": True,
}


class DossierDecisionSerializer(serializers.Serializer):
    assignment = serializers.IntegerField()
    round = serializers.IntegerField()
    reviewer = serializers.CharField()
    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = serializers.CharField(allow_blank=True)
    content_hash = serializers.CharField(help_text="The hash of the exact text decided on.")
    snapshot = serializers.SerializerMethodField()
    cited_comments = DossierCitedCommentSerializer(many=True)
    voided_at = serializers.DateTimeField(allow_null=True)
    void_reason = serializers.CharField(allow_blank=True)

    @extend_schema_field(DECISION_SNAPSHOT_SCHEMA)
    def get_snapshot(self, data: dict[str, Any]) -> dict[str, Any]:
        return data["snapshot"]


class DossierRoundClosedSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=RoundOutcome.choices)


class DossierTransitionSerializer(serializers.Serializer):
    from_status = serializers.ChoiceField(
        choices=ArticleStatus.choices, allow_null=True, help_text="Null when the article was created."
    )
    to_status = serializers.ChoiceField(choices=ArticleStatus.choices)
    reason = serializers.CharField(allow_blank=True)


class DossierWebhookDeliverySerializer(serializers.Serializer):
    webhook_id = serializers.CharField()
    event_type = serializers.ChoiceField(choices=EventType.choices)
    endpoint = serializers.CharField()
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    attempts = serializers.IntegerField()
    delivered_at = serializers.DateTimeField(allow_null=True)


class DossierEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=KINDS)
    version = serializers.IntegerField(allow_null=True)
    actor = DossierPersonSerializer(allow_null=True, help_text="Who did it; null for the system's own steps.")
    summary = serializers.CharField(help_text="The entry in one line, for people.")
    version_created = DossierVersionCreatedSerializer(allow_null=True)
    round_opened = DossierRoundOpenedSerializer(allow_null=True)
    review_assigned = DossierReviewAssignedSerializer(allow_null=True)
    decision = DossierDecisionSerializer(allow_null=True)
    round_closed = DossierRoundClosedSerializer(allow_null=True)
    transition = DossierTransitionSerializer(allow_null=True)
    webhook_delivery = DossierWebhookDeliverySerializer(allow_null=True)


class DossierArticleSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    specialty = serializers.CharField()
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices)
    status = serializers.ChoiceField(choices=ArticleStatus.choices)
    current_version = serializers.IntegerField(allow_null=True)
    published_version = serializers.IntegerField(allow_null=True)


class DossierPageSerializer(serializers.Serializer):
    article = DossierArticleSerializer(help_text="The article as it is now.")
    version = serializers.IntegerField(allow_null=True, help_text="The version asked for, or null for all.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DossierEntrySerializer(many=True)
