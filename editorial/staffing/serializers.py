"""A round's staffing as the API shows it (used by the staffing endpoints and by the answers of
auto-assign and decline)."""

from __future__ import annotations

from rest_framework import serializers

from editorial.staffing.selectors import Staffing, StaffingState
from reviewers.models import BoardMember


class MemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = BoardMember
        fields = ["id", "display_name", "credentials"]


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class ExclusionSerializer(serializers.Serializer):
    member = MemberSerializer()
    reasons = ReasonSerializer(many=True)


class StaffingSerializer(serializers.Serializer):
    """A round's staffing, with who could fill it and who is excluded by which rule."""

    state = serializers.ChoiceField(choices=StaffingState.choices)
    required = serializers.IntegerField(help_text="Approvals the round needs.")
    covered = serializers.IntegerField(help_text="Open reviews and approvals that still count.")
    missing = serializers.IntegerField(help_text="Reviewers still to be found.")
    needs_specialist = serializers.BooleanField(
        help_text="A high-risk round with no member of the specialty."
    )
    summary = serializers.SerializerMethodField(help_text="In words, e.g. for a notice to the editors.")
    candidates = MemberSerializer(many=True, help_text="Eligible members of the specialty, best first.")
    exclusions = ExclusionSerializer(
        many=True, help_text="Members of the specialty who cannot take it, and why."
    )
    counts_by_rule = serializers.DictField(child=serializers.IntegerField(), help_text="Exclusions by rule.")

    def get_summary(self, staffing: Staffing) -> str:
        return staffing.describe()
