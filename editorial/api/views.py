"""The editors' API for the review workflow and the board members' decisions (the public site's
endpoints are in editorial.public). Each view validates its input, calls one service or
selector, and renders the result; refusals come back from the services as errors with a code
(see config.api.errors)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import F
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from articles.api.serializers import ArticleDetailSerializer, VersionSerializer, VersionWriteSerializer
from articles.api.views import VersionListView, article_or_404, article_response, unless_changed
from config.api.conditional import IF_MATCH_OPTIONAL
from config.api.errors import CONFLICT, FORBIDDEN, PRECONDITION_FAILED, error_response
from config.api.pagination import CursorPagination
from config.idempotency.decorators import idempotent
from editorial import selectors, services
from editorial.api.serializers import (
    AssignmentListSerializer,
    AssignmentSerializer,
    AssignRequestSerializer,
    AutoAssignRequestSerializer,
    AutoAssignResponseSerializer,
    BoardMemberSerializer,
    DecisionRequestSerializer,
    DecisionSerializer,
    DeclineResponseSerializer,
    HistoryEntrySerializer,
    ReasonSerializer,
    RoundSerializer,
)
from editorial.models import AssignmentState, ReviewAssignment, ReviewRound, overdue_q
from editorial.staffing.selectors import round_staffing
from editorial.staffing.serializers import StaffingSerializer
from reviewers.models import BoardMember
from reviewers.permissions import IsEditorOrBoardMember

# --- Versions and workflow steps on an article ---------------------------------------------------


@extend_schema(tags=["versions"])
class VersionListCreateView(VersionListView):
    """An article's versions, newest first; POST writes the next version. Writing a version while
    one is in review ends that review (the round is superseded and the article returns to draft)."""

    @extend_schema(
        request=VersionWriteSerializer,
        responses={201: VersionSerializer, **CONFLICT, **PRECONDITION_FAILED},
        parameters=[IF_MATCH_OPTIONAL],
    )
    @idempotent
    def post(self, request: Request, slug: str) -> Response:
        article = article_or_404(slug)
        serializer = VersionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with unless_changed(request, article):
            version = services.add_version(actor=request.user, article=article, **serializer.validated_data)
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)


TRANSITIONS = {
    "submit": services.submit,
    "withdraw": services.withdraw,
    "retire": services.retire,
    "restore": services.restore,
}


@extend_schema(
    tags=["workflow"],
    request=ReasonSerializer,
    responses={
        200: ArticleDetailSerializer,
        409: error_response("Not allowed in the article's current status; see allowed_transitions."),
        **FORBIDDEN,
        **PRECONDITION_FAILED,
    },
    parameters=[IF_MATCH_OPTIONAL],
)
class ArticleTransitionView(generics.GenericAPIView):
    """Submit the current version, withdraw it from review, retire or restore the article. The
    reason is kept in the audit trail."""

    serializer_class = ReasonSerializer
    transition = ""

    @idempotent
    def post(self, request: Request, slug: str) -> Response:
        article = article_or_404(slug)
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        step = TRANSITIONS[self.transition]
        with unless_changed(request, article):
            step(actor=request.user, article=article, reason=serializer.validated_data["reason"])
        return article_response(request, article)


@extend_schema(tags=["workflow"])
class ArticleHistoryView(generics.ListAPIView):
    """The audit trail: every change to the article, newest first, with who, when, why, the status
    before and after, and the current version at the time."""

    serializer_class = HistoryEntrySerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        return selectors.article_history(article_or_404(self.kwargs["slug"]))


@extend_schema(tags=["workflow"])
class ArticleRoundsView(generics.ListAPIView):
    """Review rounds, newest first, with their assignments and decisions."""

    serializer_class = RoundSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        return selectors.round_list(article_or_404(self.kwargs["slug"])).annotate(
            base_version_number=F("base_version__number")
        )


def _fresh_assignment(pk: int) -> ReviewAssignment:
    return selectors.assignment_details().get(pk=pk)


def _staffing_of_open_round(article: Any) -> dict[str, Any] | None:
    """The staffing of the article's open round after a step (None when the step closed it)."""
    round = (
        ReviewRound.objects.open()
        .select_related("article__specialty", "version")
        .filter(article=article)
        .first()
    )
    return StaffingSerializer(round_staffing(round)).data if round is not None else None


def _fresh_assignments(assignments: list[ReviewAssignment]) -> list[ReviewAssignment]:
    """Assignments a step returned, read again as the API shows them, in the order made."""
    return list(selectors.assignment_details().filter(pk__in=[a.pk for a in assignments]).order_by("pk"))


@extend_schema(
    tags=["workflow"],
    request=AssignRequestSerializer,
    responses={
        201: AssignmentSerializer,
        400: error_response("Invalid input, or the member is not eligible (see reasons)."),
        **FORBIDDEN,
        **CONFLICT,
        **PRECONDITION_FAILED,
    },
    parameters=[IF_MATCH_OPTIONAL],
)
class ArticleAssignmentCreateView(generics.GenericAPIView):
    """Assign a board member to the article's open review round."""

    serializer_class = AssignRequestSerializer

    @idempotent
    def post(self, request: Request, slug: str) -> Response:
        article = article_or_404(slug)
        serializer = AssignRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        reviewer = get_object_or_404(BoardMember, pk=data["reviewer"])
        with unless_changed(request, article):
            assignment = services.assign(
                actor=request.user,
                article=article,
                reviewer=reviewer,
                reason=data["reason"],
                due_at=data.get("due_at"),
                override_reason=data["override_reason"],
            )
        return Response(
            AssignmentSerializer(_fresh_assignment(assignment.pk)).data, status=status.HTTP_201_CREATED
        )


@extend_schema(
    tags=["workflow"],
    request=AutoAssignRequestSerializer,
    responses={200: AutoAssignResponseSerializer, **FORBIDDEN, **CONFLICT, **PRECONDITION_FAILED},
    parameters=[IF_MATCH_OPTIONAL],
)
class ArticleAutoAssignView(generics.GenericAPIView):
    """Assign the least-loaded eligible members of the article's specialty until the open round
    has as many reviewers as approvals it needs."""

    serializer_class = AutoAssignRequestSerializer

    @idempotent
    def post(self, request: Request, slug: str) -> Response:
        article = article_or_404(slug)
        serializer = AutoAssignRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with unless_changed(request, article):
            assignments = services.auto_assign(
                actor=request.user, article=article, reason=serializer.validated_data["reason"]
            )
        return Response(
            {
                "assignments": AssignmentSerializer(_fresh_assignments(assignments), many=True).data,
                "staffing": _staffing_of_open_round(article),
            }
        )


# --- Assignments ---------------------------------------------------------------------------------


class AssignmentFilter(django_filters.FilterSet):
    # distinct=False: no join, so no duplicates; a DISTINCT would sort every matching row.
    state = django_filters.MultipleChoiceFilter(choices=AssignmentState.choices, distinct=False)
    reviewer = django_filters.NumberFilter(field_name="reviewer_id", min_value=1, max_value=2**63 - 1)
    article = django_filters.CharFilter(field_name="round__article__slug")
    overdue = django_filters.BooleanFilter(method="filter_overdue", help_text="Open and past the due date.")

    class Meta:
        model = ReviewAssignment
        fields = ["state", "reviewer", "article", "overdue"]

    def filter_overdue(self, queryset: Any, name: str, value: bool) -> Any:
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())


@extend_schema(tags=["assignments"])
class AssignmentListView(generics.ListAPIView):
    """Review assignments: all of them for editors, their own for a board member (paged by
    cursor)."""

    serializer_class = AssignmentListSerializer
    pagination_class = CursorPagination
    permission_classes = [IsEditorOrBoardMember]
    filterset_class = AssignmentFilter
    ordering_fields = ["due_at", "assigned_at", "decided_at"]
    ordering = ["due_at", "pk"]
    search_fields: list[str] = []

    def get_queryset(self) -> Any:
        return selectors.assignments_visible_to(self.request.user)


class AssignmentActionView(generics.GenericAPIView):
    """Base for a board member's step on one of their assignments. Others' assignments are not
    found (404); an editor, who sees them all, is refused by the service (403)."""

    permission_classes = [IsEditorOrBoardMember]

    def get_assignment(self, pk: int) -> ReviewAssignment:
        try:
            return selectors.assignments_visible_to(self.request.user).get(pk=pk)
        except ReviewAssignment.DoesNotExist:
            raise Http404("No such assignment, or it is not yours.") from None


@extend_schema(
    tags=["assignments"],
    request=DecisionRequestSerializer,
    responses={
        200: DecisionSerializer,
        404: error_response("No such assignment, or it is not yours; or a cited comment is not yours here."),
        **FORBIDDEN,
        **CONFLICT,
    },
)
class AssignmentDecisionView(AssignmentActionView):
    """Approve, request changes or reject the version under review (a comment is required unless
    approving). The decision records the content hash of the exact text it was made on."""

    serializer_class = DecisionRequestSerializer

    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        assignment = self.get_assignment(pk)
        serializer = DecisionRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.decide(actor=request.user, assignment=assignment, **serializer.validated_data)
        decided = selectors.assignment_details().prefetch_related("cited_comments").get(pk=pk)
        return Response(DecisionSerializer(decided).data)


@extend_schema(
    tags=["assignments"],
    request=ReasonSerializer,
    responses={200: DeclineResponseSerializer, **FORBIDDEN, **CONFLICT},
)
class AssignmentDeclineView(AssignmentActionView):
    """Decline the review, saying why; a replacement is assigned where someone eligible is free."""

    serializer_class = ReasonSerializer

    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        assignment = self.get_assignment(pk)
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        replacements = services.decline(
            actor=request.user, assignment=assignment, reason=serializer.validated_data["reason"]
        )
        return Response(
            {
                "assignment": AssignmentSerializer(_fresh_assignment(pk)).data,
                "replacements": AssignmentSerializer(_fresh_assignments(replacements), many=True).data,
                "staffing": _staffing_of_open_round(assignment.round.article),
            }
        )


@extend_schema(
    tags=["assignments"], request=None, responses={200: AssignmentSerializer, **FORBIDDEN, **CONFLICT}
)
class AssignmentAcceptView(AssignmentActionView):
    """Confirm that you will do the review."""

    serializer_class = AssignmentSerializer

    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        services.accept(actor=request.user, assignment=self.get_assignment(pk))
        return Response(AssignmentSerializer(_fresh_assignment(pk)).data)


# --- The board -------------------------------------------------------------------------------------


class BoardMemberFilter(django_filters.FilterSet):
    specialty = django_filters.CharFilter(field_name="specialties__slug")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = BoardMember
        fields = ["specialty", "is_active"]


@extend_schema(tags=["board"])
class BoardMemberListView(generics.ListAPIView):
    """Board members with their specialties, credentials and open reviews."""

    serializer_class = BoardMemberSerializer
    filterset_class = BoardMemberFilter
    search_fields = ["display_name"]
    ordering_fields = ["display_name"]
    ordering = ["display_name", "pk"]

    def get_queryset(self) -> Any:
        return selectors.board_members()
