"""The editors' API on what stalls their reviews: open rounds with their staffing, who is excluded
and why, and override requests to the editors-in-chief (who grant or decline them)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from articles.api.serializers import ReasonField
from config.api.errors import CONFLICT, FORBIDDEN, error_response
from config.api.fields import Integer, Text
from config.api.serializers import StrictSerializer
from config.idempotency.decorators import idempotent
from editorial.api.serializers import AssignmentSerializer
from editorial.models import ReviewAssignment, ReviewRound
from editorial.staffing import overrides
from editorial.staffing.models import OverrideRequest, OverrideRequestState
from editorial.staffing.selectors import StaffingState, round_staffing, rounds_with_staffing
from editorial.staffing.serializers import MemberSerializer, StaffingSerializer
from reviewers.models import BoardMember

# --- Serializers ------------------------------------------------------------------------------


class RoundSummarySerializer(serializers.ModelSerializer):
    article = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    base_version = serializers.IntegerField(
        source="base_version.number",
        read_only=True,
        allow_null=True,
        help_text="The version the reviewers compare against, recorded when the round opened.",
    )
    staffing = serializers.ChoiceField(choices=StaffingState.choices, read_only=True)
    covered = serializers.IntegerField(read_only=True)
    missing = serializers.IntegerField(read_only=True)
    needs_specialist = serializers.BooleanField(read_only=True)

    class Meta:
        model = ReviewRound
        fields = [
            "id",
            "article",
            "version",
            "base_version",
            "opened_at",
            "required_approvals",
            "covered",
            "missing",
            "needs_specialist",
            "staffing",
        ]
        read_only_fields = fields


class RoundStaffingSerializer(RoundSummarySerializer):
    detail = serializers.SerializerMethodField()

    class Meta(RoundSummarySerializer.Meta):
        fields = [*RoundSummarySerializer.Meta.fields, "detail"]
        read_only_fields = fields

    @extend_schema_field(StaffingSerializer)
    def get_detail(self, round: ReviewRound) -> dict[str, Any]:
        return StaffingSerializer(round_staffing(round)).data


class OverrideRequestSerializer(serializers.ModelSerializer):
    round = serializers.IntegerField(source="round_id", read_only=True)
    article = serializers.SlugRelatedField(source="round.article", slug_field="slug", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    member = MemberSerializer(read_only=True, allow_null=True)
    state = serializers.ChoiceField(choices=OverrideRequestState.choices, read_only=True)
    resolved_by = serializers.CharField(source="resolved_by.username", read_only=True, allow_null=True)

    class Meta:
        model = OverrideRequest
        fields = [
            "id",
            "round",
            "article",
            "requested_by",
            "requested_at",
            "member",
            "reason",
            "state",
            "resolved_by",
            "resolved_at",
            "resolution",
        ]
        read_only_fields = fields


class OverrideRequestWriteSerializer(StrictSerializer):
    member = Integer(
        min_value=1, max_value=2**63 - 1, required=False, help_text="A board member you suggest (their id)."
    )
    reason = ReasonField(help_text="Why the round needs someone from outside the specialty.")


class GrantSerializer(StrictSerializer):
    member = Integer(min_value=1, max_value=2**63 - 1, help_text="The board member to assign.")
    override_reason = Text(
        max_length=2000, help_text="Why this member may review outside the article's specialty."
    )


class DeclineSerializer(StrictSerializer):
    reason = ReasonField(help_text="Why there will be no override, for the editor who asked.")


# --- Views ------------------------------------------------------------------------------------


class RoundFilter(django_filters.FilterSet):
    staffing = django_filters.ChoiceFilter(choices=StaffingState.choices)
    article = django_filters.CharFilter(field_name="article__slug")

    class Meta:
        model = ReviewRound
        fields = ["staffing", "article"]


def open_rounds() -> Any:
    return (
        rounds_with_staffing(ReviewRound.objects.open())
        .select_related("article", "version", "base_version")
        .defer("version__body", "base_version__body")
    )


@extend_schema(tags=["staffing"])
class RoundListView(generics.ListAPIView):
    """Open review rounds with their staffing: ``?staffing=short`` lists those short of reviewers,
    ``needs_specialist`` those that need a member of the specialty."""

    serializer_class = RoundSummarySerializer
    filterset_class = RoundFilter
    search_fields: list[str] = []
    ordering_fields = ["opened_at"]
    ordering = ["opened_at", "pk"]

    def get_queryset(self) -> Any:
        return open_rounds()


@extend_schema(tags=["staffing"])
class RoundDetailView(generics.RetrieveAPIView):
    """One open round's staffing, with the eligible members and every member of the specialty who
    is excluded, with the rules that exclude them."""

    serializer_class = RoundStaffingSerializer

    def get_queryset(self) -> Any:
        return open_rounds()


class OverrideRequestFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=OverrideRequestState.choices)

    class Meta:
        model = OverrideRequest
        fields = ["state"]


@extend_schema(tags=["staffing"])
class OverrideRequestListView(generics.ListAPIView):
    """Override requests, newest first (``?state=open`` for those waiting)."""

    serializer_class = OverrideRequestSerializer
    filterset_class = OverrideRequestFilter
    search_fields: list[str] = []
    ordering_fields = ["requested_at"]
    ordering = ["-requested_at", "-pk"]

    def get_queryset(self) -> Any:
        return OverrideRequest.objects.select_related(
            "round__article", "requested_by", "member", "resolved_by"
        )


@extend_schema(
    tags=["staffing"],
    request=OverrideRequestWriteSerializer,
    responses={201: OverrideRequestSerializer, **CONFLICT, **FORBIDDEN},
)
class OverrideRequestCreateView(generics.GenericAPIView):
    """Ask the editors-in-chief to staff this round with a member from outside its specialty; they
    see the request on their desk. Refused when the round is staffed or a request is waiting."""

    serializer_class = OverrideRequestWriteSerializer

    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        serializer = OverrideRequestWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        round = get_object_or_404(ReviewRound.objects.open(), pk=pk)
        member_id = serializer.validated_data.get("member")
        member = get_object_or_404(BoardMember, pk=member_id) if member_id else None
        created = overrides.request_override(
            actor=request.user, round=round, member=member, reason=serializer.validated_data["reason"]
        )
        return Response(OverrideRequestSerializer(created).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["staffing"],
    request=GrantSerializer,
    responses={
        201: AssignmentSerializer,
        400: error_response("The member is not eligible apart from the specialty (see reasons)."),
        **CONFLICT,
        **FORBIDDEN,
    },
)
class OverrideGrantView(generics.GenericAPIView):
    """Editors-in-chief: grant the request by assigning a member with your override reason."""

    serializer_class = GrantSerializer

    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        serializer = GrantSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        override = get_object_or_404(OverrideRequest, pk=pk)
        member = get_object_or_404(BoardMember, pk=serializer.validated_data["member"])
        assignment = overrides.grant_override(
            actor=request.user,
            request=override,
            member=member,
            override_reason=serializer.validated_data["override_reason"],
        )
        fresh = (
            ReviewAssignment.objects.select_related("reviewer", "assigned_by")
            .with_overdue()
            .get(pk=assignment.pk)
        )
        return Response(AssignmentSerializer(fresh).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["staffing"],
    request=DeclineSerializer,
    responses={200: OverrideRequestSerializer, **CONFLICT, **FORBIDDEN},
)
class OverrideDeclineView(generics.GenericAPIView):
    """Editors-in-chief: decline the request, saying why."""

    serializer_class = DeclineSerializer

    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        serializer = DeclineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        override = get_object_or_404(OverrideRequest, pk=pk)
        declined = overrides.decline_override(
            actor=request.user, request=override, reason=serializer.validated_data["reason"]
        )
        return Response(OverrideRequestSerializer(declined).data)
