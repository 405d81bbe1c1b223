from __future__ import annotations

from rest_framework import serializers

from articles.api.serializers import ReferenceSerializer
from articles.models import Article
from articles.rendering import render_markdown
from editorial.public.selectors import PublicPage, ReviewState, public_badge
from reviewers.models import BoardMember


class PublicArticleListSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField(source="shown_title")
    badge = serializers.SerializerMethodField(help_text="approved, or submitted, under_review, expired...")
    caution = serializers.SerializerMethodField()
    last_reviewed_at = serializers.DateTimeField(allow_null=True, help_text='Shown as "Last updated".')
    next_review_due_at = serializers.DateTimeField(source="review_due_at", allow_null=True)

    def get_badge(self, article: Article) -> str:
        return public_badge(article).name

    def get_caution(self, article: Article) -> bool:
        return public_badge(article).caution


class PublicReviewerSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")
    specialties = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = BoardMember
        fields = ["name", "credentials", "specialties"]


class PublicReviewSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=[ReviewState.CURRENT, ReviewState.PAST, ReviewState.NONE],
        help_text="current: the board's approval stands; past: the text was approved but that "
        "approval no longer stands (review overdue, or being reviewed again); none: never approved.",
    )
    reviewed_at = serializers.DateTimeField(allow_null=True, help_text="When the shown text was approved.")
    summary = serializers.CharField(
        help_text='For people, e.g. "Last reviewed on 3 March 2025; review overdue."'
    )


class PublicArticleSerializer(serializers.Serializer):
    slug = serializers.SlugField(source="article.slug")
    title = serializers.CharField(source="version.title")
    body = serializers.CharField(source="version.body", help_text="Markdown.")
    body_html = serializers.SerializerMethodField(help_text="The body rendered and sanitised.")
    badge = serializers.CharField(source="badge.name")
    caution = serializers.BooleanField(source="badge.caution")
    caution_text = serializers.CharField(source="badge.caution_text")
    review = PublicReviewSerializer()
    last_reviewed_at = serializers.DateTimeField(source="article.last_reviewed_at", allow_null=True)
    next_review_due_at = serializers.DateTimeField(source="article.review_due_at", allow_null=True)
    reviewers = PublicReviewerSerializer(
        many=True,
        help_text="Who approved the shown text (for a past review: whose approval of it stood); never "
        "a member with a conflict of interest in force about the article.",
    )
    references = ReferenceSerializer(source="version.references", many=True)
    content_hash = serializers.CharField(
        source="version.content_hash", help_text="SHA-256 of the text shown."
    )

    def get_body_html(self, page: PublicPage) -> str:
        return render_markdown(page.version.body)
