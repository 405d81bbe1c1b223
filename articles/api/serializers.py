from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from articles.models import Article, ArticleVersion, Reference, RiskLevel
from articles.selectors import allowed_actions
from articles.services import MAX_REFERENCES
from config.audit import REASON_MAX_LENGTH
from reviewers.models import Specialty

MAX_BODY_LENGTH = 200_000


class ReasonField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", REASON_MAX_LENGTH)
        kwargs.setdefault("help_text", "Why: kept in the audit trail with your name.")
        super().__init__(**kwargs)


class ReferenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reference
        fields = ["citation", "source", "year", "url", "doi", "pmid"]


class VersionSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)

    class Meta:
        model = ArticleVersion
        fields = ["number", "title", "change_summary", "author", "created_at", "content_hash"]


class VersionDetailSerializer(VersionSerializer):
    references = ReferenceSerializer(many=True, read_only=True)

    class Meta(VersionSerializer.Meta):
        fields = [*VersionSerializer.Meta.fields, "body", "references"]


class VersionWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    body = serializers.CharField(max_length=MAX_BODY_LENGTH, help_text="Markdown.")
    change_summary = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)
    references = ReferenceSerializer(many=True, required=False, default=list, max_length=MAX_REFERENCES)
    reason = ReasonField()


class ArticleSerializer(serializers.ModelSerializer):
    specialty = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    current_version = serializers.IntegerField(
        source="current_version_number", read_only=True, allow_null=True
    )
    published_version = serializers.IntegerField(
        source="published_version_number", read_only=True, allow_null=True
    )
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = Article
        fields = [
            "slug",
            "title",
            "specialty",
            "risk_level",
            "status",
            "current_version",
            "published_version",
            "last_reviewed_at",
            "review_due_at",
            "review_interval_days",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ArticleDetailSerializer(ArticleSerializer):
    allowed_actions = serializers.SerializerMethodField(
        help_text="The workflow actions you can take now (submit, withdraw, retire, restore)."
    )

    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "allowed_actions"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, article: Article) -> list[str]:
        return allowed_actions(article, self.context["request"].user)


class ArticleCreateSerializer(VersionWriteSerializer):
    slug = serializers.SlugField(max_length=200)
    specialty = serializers.SlugRelatedField(slug_field="slug", queryset=Specialty.objects.all())
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices, default=RiskLevel.STANDARD)
    review_interval_days = serializers.IntegerField(
        min_value=1, max_value=3650, required=False, allow_null=True
    )
    reason = ReasonField(required=False, default="New article")


class ArticleUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300, required=False)
    specialty = serializers.SlugRelatedField(
        slug_field="slug", queryset=Specialty.objects.all(), required=False
    )
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices, required=False)
    review_interval_days = serializers.IntegerField(
        min_value=1, max_value=3650, required=False, allow_null=True
    )
    reason = ReasonField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if len(attrs) == 1:
            raise serializers.ValidationError("Send at least one field to change.", code="nothing_to_change")
        return attrs


class DiffSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    against = serializers.IntegerField()
    diff = serializers.CharField(help_text="A unified diff of title, text and references.")
