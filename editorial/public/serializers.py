from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from articles.api.serializers import ReferenceSerializer
from articles.models import Article
from articles.provenance import Provenance
from config.api.fields import datetime_text
from editorial.public.jsonld import medical_web_page
from editorial.public.selectors import PublicPage, ReviewState, public_badge
from reviewers.models import BoardMember

_TEXT = {"type": "string"}
_SPECIALTY = {
    "description": "A schema.org MedicalSpecialty where ours maps to one, else the specialty's name.",
    "oneOf": [
        _TEXT,
        {
            "type": "object",
            "properties": {
                "@type": {"type": "string", "enum": ["MedicalSpecialty"]},
                "@id": {"type": "string", "format": "uri"},
                "name": _TEXT,
            },
            "required": ["@type", "@id", "name"],
        },
    ],
}
_TYPED = {"type": "object", "properties": {"@type": _TEXT}, "required": ["@type"]}
# The JSON-LD object as OpenAPI describes it (its vocabulary is schema.org's: editorial/public/jsonld.py).
MEDICAL_WEB_PAGE_SCHEMA = {
    "type": "object",
    "description": "A schema.org MedicalWebPage in JSON-LD. lastReviewed and reviewedBy only for a "
    "text the board approved, reviewedBy only with approvals that stand.",
    "properties": {
        "@context": {"type": "string", "enum": ["https://schema.org"]},
        "@type": {"type": "string", "enum": ["MedicalWebPage"]},
        "headline": _TEXT,
        "name": _TEXT,
        "text": {**_TEXT, "description": "The shown text, as readers see it, without Markdown."},
        "dateModified": {"type": "string", "format": "date-time"},
        "datePublished": {"type": "string", "format": "date-time"},
        "lastReviewed": {"type": "string", "format": "date"},
        "digitalSourceType": {
            "type": "object",
            "description": "Only for text a model wrote: an IPTCDigitalSourceEnumeration member.",
            "properties": {
                "@type": {"type": "string", "enum": ["IPTCDigitalSourceEnumeration"]},
                "@id": {"type": "string", "format": "uri"},
            },
            "required": ["@type", "@id"],
        },
        "specialty": _SPECIALTY,
        "about": _SPECIALTY,
        "audience": _TYPED,
        "reviewedBy": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "@type": {"type": "string", "enum": ["Person"]},
                    "name": _TEXT,
                    "honorificSuffix": {**_TEXT, "description": "Credentials, e.g. MD, PhD."},
                    "knowsAbout": {"type": "array", "items": _SPECIALTY},
                },
                "required": ["@type", "name"],
            },
        },
        "citation": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "@type": {"type": "string", "enum": ["ScholarlyArticle", "CreativeWork"]},
                    "name": _TEXT,
                    "url": {"type": "string", "format": "uri"},
                    "sameAs": {"type": "array", "items": {"type": "string", "format": "uri"}},
                    "isPartOf": _TYPED,
                    "datePublished": _TEXT,
                },
                "required": ["@type", "name"],
            },
        },
    },
    "required": [
        "@context",
        "@type",
        "headline",
        "name",
        "text",
        "dateModified",
        "specialty",
        "about",
        "audience",
    ],
}


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

    # Written by hand, field for field as declared, the badge worked out once (a page of them is
    # the list's main cost; tests/api/test_list_representations.py holds the two to the same output).
    def to_representation(self, article: Article) -> dict[str, Any]:
        zone = timezone.get_current_timezone()
        badge = public_badge(article)
        return {
            "slug": article.slug,
            "title": article.shown_title,
            "badge": badge.name,
            "caution": badge.caution,
            "last_reviewed_at": datetime_text(article.last_reviewed_at, zone),
            "next_review_due_at": datetime_text(article.review_due_at, zone),
        }


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
    body_html = serializers.CharField(read_only=True, help_text="The body rendered and sanitised.")
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
    provenance = serializers.ChoiceField(
        source="version.provenance",
        choices=Provenance.choices,
        help_text="Who or what wrote the text shown (the approved version's, once approved): human, "
        "ai_assisted, ai_generated, or not_recorded for text written before it was recorded. While "
        "a model wrote it and no approval stands, caution_text says it is AI-drafted, pending review.",
    )
    generator = serializers.CharField(
        source="version.generator", help_text="The system that drafted it (empty for a person's text)."
    )
    model_version = serializers.CharField(
        source="version.model_version", help_text="The model that drafted it (empty for a person's text)."
    )
    source_reference = serializers.CharField(
        source="version.source_reference", help_text="Where the draft came from, if recorded."
    )

    jsonld = serializers.SerializerMethodField(
        help_text="The page as schema.org markup (a MedicalWebPage), for a "
        '<script type="application/ld+json"> element; also served alone with ?format=jsonld.'
    )

    @extend_schema_field(MEDICAL_WEB_PAGE_SCHEMA)
    def get_jsonld(self, page: PublicPage) -> dict:
        return medical_web_page(page)

    # Written by hand, field for field as declared (tests/api/test_list_representations.py).
    def to_representation(self, page: PublicPage) -> dict[str, Any]:
        article, version, badge, review = page.article, page.version, page.badge, page.review
        zone = timezone.get_current_timezone()
        return {
            "slug": article.slug,
            "title": version.title,
            "body": version.body,
            "body_html": page.body_html,
            "badge": badge.name,
            "caution": badge.caution,
            "caution_text": badge.caution_text,
            "review": {
                "state": review.state,
                "reviewed_at": datetime_text(review.reviewed_at, zone),
                "summary": review.summary,
            },
            "last_reviewed_at": datetime_text(article.last_reviewed_at, zone),
            "next_review_due_at": datetime_text(article.review_due_at, zone),
            "reviewers": [
                {
                    "name": member.display_name,
                    "credentials": member.credentials,
                    "specialties": [specialty.name for specialty in member.specialties.all()],
                }
                for member in page.reviewers
            ],
            "references": [
                {field: getattr(reference, field) for field in REFERENCE_FIELDS}
                for reference in version.references.all()
            ],
            "content_hash": version.content_hash,
            "provenance": version.provenance,
            "generator": version.generator,
            "model_version": version.model_version,
            "source_reference": version.source_reference,
            "jsonld": self.get_jsonld(page),
        }


REFERENCE_FIELDS = ReferenceSerializer.Meta.fields
