from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from articles.api.serializers import ReasonField
from articles.models import ArticleStatus, RiskLevel
from config.api.fields import NOT_BLANK, DateTime, Integer, OptionalChoiceField, Text, datetime_text
from config.api.serializers import StrictSerializer
from editorial.models import Decision, ReviewAssignment, ReviewRound, RoundOutcome, RoundTrigger
from editorial.selectors import HISTORY_METADATA
from editorial.staffing.serializers import StaffingSerializer
from reviewers.models import BoardMember


class ReasonSerializer(StrictSerializer):
    reason = ReasonField()


class ReviewerSerializer(serializers.ModelSerializer):
    class Meta:
        model = BoardMember
        fields = ["id", "display_name", "credentials"]


class AssignmentSerializer(serializers.ModelSerializer):
    reviewer = ReviewerSerializer(read_only=True)
    decision = OptionalChoiceField(choices=Decision.choices, help_text="null until decided.")
    decided_risk_level = OptionalChoiceField(
        choices=RiskLevel.choices, help_text="The article's risk level the decision was made under."
    )
    decided_specialty = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text="The article's specialty the decision was made under.",
    )
    assigned_by = serializers.CharField(source="assigned_by.username", read_only=True)
    overdue = serializers.BooleanField(read_only=True, help_text="Open and past its due date.")

    class Meta:
        model = ReviewAssignment
        fields = [
            "id",
            "reviewer",
            "assigned_by",
            "assigned_at",
            "due_at",
            "overdue",
            "override_reason",
            "state",
            "accepted_at",
            "decision",
            "comment",
            "decided_content_hash",
            "decided_at",
            "decided_risk_level",
            "decided_specialty",
            "decided_as_specialist",
            "closed_at",
            "voided_at",
            "void_reason",
        ]
        read_only_fields = fields


class AssignmentListSerializer(AssignmentSerializer):
    article = serializers.SlugRelatedField(source="round.article", slug_field="slug", read_only=True)
    version = serializers.IntegerField(source="version_number", read_only=True)
    round = serializers.IntegerField(source="round_id", read_only=True)

    class Meta(AssignmentSerializer.Meta):
        fields = ["id", "article", "version", "round", *AssignmentSerializer.Meta.fields[1:]]
        read_only_fields = fields

    # Written by hand, field for field as declared (a page of them is the list's main cost;
    # tests/api/test_list_representations.py holds the two to the same output).
    def to_representation(self, assignment: ReviewAssignment) -> dict[str, Any]:
        zone = timezone.get_current_timezone()
        reviewer, specialty = assignment.reviewer, assignment.decided_specialty
        return {
            "id": assignment.pk,
            "article": assignment.round.article.slug,
            "version": assignment.version_number,
            "round": assignment.round_id,
            "reviewer": {
                "id": reviewer.pk,
                "display_name": reviewer.display_name,
                "credentials": reviewer.credentials,
            },
            "assigned_by": assignment.assigned_by.username,
            "assigned_at": datetime_text(assignment.assigned_at, zone),
            "due_at": datetime_text(assignment.due_at, zone),
            "overdue": assignment.overdue,
            "override_reason": assignment.override_reason,
            "state": assignment.state,
            "accepted_at": datetime_text(assignment.accepted_at, zone),
            "decision": assignment.decision or None,
            "comment": assignment.comment,
            "decided_content_hash": assignment.decided_content_hash,
            "decided_at": datetime_text(assignment.decided_at, zone),
            "decided_risk_level": assignment.decided_risk_level or None,
            "decided_specialty": specialty.slug if specialty is not None else None,
            "decided_as_specialist": assignment.decided_as_specialist,
            "closed_at": datetime_text(assignment.closed_at, zone),
            "voided_at": datetime_text(assignment.voided_at, zone),
            "void_reason": assignment.void_reason,
        }


class RoundSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version_number", read_only=True)
    base_version = serializers.IntegerField(
        source="base_version_number",
        read_only=True,
        allow_null=True,
        help_text="The version the reviewers compare against, recorded when the round opened: the "
        "published version then (the version itself for a re-review), or null.",
    )
    opened_by = serializers.CharField(source="opened_by.username", read_only=True)
    trigger = serializers.ChoiceField(choices=RoundTrigger.choices, read_only=True)
    outcome = OptionalChoiceField(choices=RoundOutcome.choices, help_text="null while the round is open.")
    assignments = AssignmentSerializer(many=True, read_only=True)

    class Meta:
        model = ReviewRound
        fields = [
            "id",
            "version",
            "base_version",
            "trigger",
            "required_approvals",
            "opened_by",
            "opened_at",
            "closed_at",
            "outcome",
            "assignments",
        ]
        read_only_fields = fields


class AssignRequestSerializer(StrictSerializer):
    reviewer = Integer(
        min_value=1, max_value=2**63 - 1, help_text="A board member's id; one that does not exist is a 404."
    )
    due_at = DateTime(
        required=False,
        help_text="When the review is due: a time in the future (400 otherwise). "
        "Default: REVIEW_ASSIGNMENT_DAYS from now.",
    )
    override_reason = Text(
        max_length=2000,
        required=False,
        default="",
        allow_blank=True,
        help_text="Editors-in-chief only: why a member outside the article's specialty reviews it.",
    )
    reason = ReasonField(required=False, default="Reviewer assigned")


class AutoAssignRequestSerializer(StrictSerializer):
    reason = ReasonField(required=False, default="Reviewers assigned automatically")


class AutoAssignResponseSerializer(serializers.Serializer):
    assignments = AssignmentSerializer(many=True)
    staffing = StaffingSerializer(
        allow_null=True,
        help_text="The round after this step: still short, or still needing a specialist, and why.",
    )


APPROVE = Decision.APPROVE.value


class DecisionRequestSerializer(StrictSerializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = Text(
        max_length=10_000,
        required=False,
        default="",
        allow_blank=True,
        help_text="Required, and not only spaces, when requesting changes or rejecting, unless "
        "cited_comments names at least one comment.",
    )
    cited_comments = serializers.ListField(
        child=Integer(min_value=1, max_value=2**63 - 1),
        required=False,
        default=list,
        max_length=100,
        help_text="When requesting changes or rejecting: ids of your own open review comments on this "
        "version, cited instead of repeating them (404 for one that is not yours on this version, "
        "409 for one resolved).",
    )

    # The workflow's rule (editorial.services.decisions.decide, which enforces it), in the schema:
    # a comment with something in it, or comments cited, unless approving. The decision is told
    # apart by patterns, not enums, which drf-spectacular would gather into one named enum for
    # both alternatives.
    schema_keywords = {
        "oneOf": [
            {
                "properties": {"decision": {"pattern": f"^{APPROVE}$"}, "cited_comments": {"maxItems": 0}},
                "required": ["decision"],
            },
            {
                "properties": {
                    "decision": {"pattern": f"^({'|'.join(d for d in Decision.values if d != APPROVE)})$"},
                },
                "required": ["decision"],
                "anyOf": [
                    {
                        "properties": {"comment": {"minLength": 1, "pattern": NOT_BLANK}},
                        "required": ["comment"],
                    },
                    {"properties": {"cited_comments": {"minItems": 1}}, "required": ["cited_comments"]},
                ],
            },
        ]
    }


class CitedCommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    quote = serializers.CharField(source="exact", help_text="The passage as the reviewer selected it.")
    body = serializers.CharField(help_text="The comment.")


class DecisionSerializer(AssignmentSerializer):
    """The assignment after a decision, with the review comments the decision cites."""

    cited_comments = CitedCommentSerializer(many=True, read_only=True)

    class Meta(AssignmentSerializer.Meta):
        fields = [*AssignmentSerializer.Meta.fields, "cited_comments"]
        read_only_fields = fields


class DeclineResponseSerializer(serializers.Serializer):
    assignment = AssignmentSerializer()
    replacements = AssignmentSerializer(many=True)
    staffing = StaffingSerializer(
        allow_null=True,
        help_text="The round after the decline: whether the replacements filled it, and if not, why.",
    )


class HistoryActorSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField(source="history_date")
    actor = serializers.SerializerMethodField()
    change = serializers.SerializerMethodField(help_text="created, status, version or metadata.")
    changes = serializers.SerializerMethodField(
        help_text="The metadata fields this entry changed, each from what to what (empty when none did)."
    )
    from_status = serializers.SerializerMethodField()
    to_status = serializers.ChoiceField(source="status", choices=ArticleStatus.choices)
    reason = serializers.CharField(source="history_change_reason", allow_null=True)
    version = serializers.IntegerField(source="version_number", allow_null=True)

    @extend_schema_field(HistoryActorSerializer(allow_null=True))
    def get_actor(self, row: Any) -> dict[str, str] | None:
        user = row.history_user
        if user is None:
            return None
        return {"username": user.username, "name": user.get_full_name() or user.username}

    @extend_schema_field(serializers.ChoiceField(choices=["created", "status", "version", "metadata"]))
    def get_change(self, row: Any) -> str:
        if row.history_type == "+" or row.previous_status is None:
            return "created"
        if row.status != row.previous_status:
            return "status"
        if row.current_version_id != row.previous_version_id:
            return "version"
        return "metadata"

    @extend_schema_field(serializers.ChoiceField(choices=ArticleStatus.choices, allow_null=True))
    def get_from_status(self, row: Any) -> str | None:
        return row.previous_status

    @extend_schema_field(
        inline_serializer(
            "MetadataChange",
            {
                "field": serializers.ChoiceField(choices=list(HISTORY_METADATA)),
                "from": serializers.JSONField(help_text="The value before (a specialty by its slug)."),
                "to": serializers.JSONField(help_text="The value after."),
            },
            many=True,
        )
    )
    def get_changes(self, row: Any) -> list[dict[str, Any]]:
        if row.history_type == "+" or row.previous_status is None:
            return []
        current = {
            "title": row.title,
            "specialty": row.specialty_slug,
            "risk_level": row.risk_level,
            "review_interval_days": row.review_interval_days,
        }
        return [
            {"field": field, "from": getattr(row, f"previous_{field}"), "to": value}
            for field, value in current.items()
            if getattr(row, f"previous_{field}") != value
        ]


class BoardMemberSerializer(serializers.ModelSerializer):
    specialties = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    open_reviews = serializers.IntegerField(read_only=True)
    credentials_current = serializers.SerializerMethodField()

    class Meta:
        model = BoardMember
        fields = [
            "id",
            "display_name",
            "credentials",
            "specialties",
            "is_active",
            "max_open_reviews",
            "open_reviews",
            "credentials_verified_until",
            "credentials_current",
        ]
        read_only_fields = fields

    def get_credentials_current(self, member: BoardMember) -> bool:
        return member.credentials_current()
