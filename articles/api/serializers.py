from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from articles.models import Article, ArticleVersion, Reference, RiskLevel
from articles.provenance import DECLARABLE, DECLARABLE_CHOICES, MACHINE_WRITTEN, Provenance, VersionProvenance
from articles.selectors import allowed_actions
from articles.services import MAX_REFERENCES
from config.api.errors import AlreadyExists
from config.api.fields import NOT_BLANK, WEB_ADDRESS, WHITESPACE, Integer, Slug, Text, datetime_text
from config.api.serializers import StrictSerializer
from config.audit import REASON_MAX_LENGTH
from reviewers.models import Specialty

MAX_BODY_LENGTH = 200_000
# The model's validators accept these and more (any Unicode digit, for one): the API takes what
# its schema states.
DOI = rf"^(?:10\.[0-9]{{4,9}}/[^\x00{WHITESPACE}]+)?$"
PMID = r"^[0-9]{0,12}$"


class ReasonField(Text):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", REASON_MAX_LENGTH)
        kwargs.setdefault("help_text", "Why: kept in the audit trail with your name.")
        super().__init__(**kwargs)


class ReferenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reference
        fields = ["citation", "source", "year", "url", "doi", "pmid"]


class ReferenceWriteSerializer(StrictSerializer):
    citation = Text()
    source = Text(
        max_length=200, required=False, allow_blank=True, help_text=Reference.source.field.help_text
    )
    year = Integer(min_value=1800, max_value=2100, required=False, allow_null=True)
    url = Text(
        max_length=500,
        required=False,
        allow_blank=True,
        pattern=WEB_ADDRESS,
        message="Enter a web address such as https://www.esmo.org/guidelines.",
        help_text="An http or https address whose host name is made of letters, digits and hyphens.",
    )
    doi = Text(
        max_length=200,
        required=False,
        allow_blank=True,
        pattern=DOI,
        message="Enter a DOI such as 10.1056/NEJMoa1113216.",
    )
    pmid = Text(
        max_length=12,
        required=False,
        allow_blank=True,
        pattern=PMID,
        message="A PubMed ID is digits only, e.g. 22149876.",
    )


# Who or what wrote a version (articles/provenance.py); "not_recorded" only on versions written
# before it was recorded.
PROVENANCE_FIELDS = ["provenance", "generator", "model_version", "source_reference"]


class VersionSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)

    class Meta:
        model = ArticleVersion
        fields = [
            "number",
            "title",
            "change_summary",
            "author",
            "created_at",
            "content_hash",
            *PROVENANCE_FIELDS,
        ]

    # Written by hand, field for field as declared (tests/api/test_list_representations.py).
    def to_representation(self, version: ArticleVersion) -> dict[str, Any]:
        return {
            "number": version.number,
            "title": version.title,
            "change_summary": version.change_summary,
            "author": version.author.username,
            "created_at": datetime_text(version.created_at),
            "content_hash": version.content_hash,
            "provenance": version.provenance,
            "generator": version.generator,
            "model_version": version.model_version,
            "source_reference": version.source_reference,
        }


class VersionDetailSerializer(VersionSerializer):
    references = ReferenceSerializer(many=True, read_only=True)

    class Meta(VersionSerializer.Meta):
        fields = [*VersionSerializer.Meta.fields, "body", "references"]

    def to_representation(self, version: ArticleVersion) -> dict[str, Any]:
        return serializers.ModelSerializer.to_representation(self, version)  # one at a time: DRF's own


_DECLARABLE = ", ".join(DECLARABLE)
_MACHINE_WRITTEN = "|".join(MACHINE_WRITTEN)
_BLANK = rf"^[{WHITESPACE}]*$"
# The provenance rule of VersionProvenance.cleaned(), in the schema: a person's version names no
# generator nor model; a machine-written one names both. The kind is told apart by patterns, not
# enums, which drf-spectacular would gather into named enums (as DecisionRequestSerializer's).
PROVENANCE_SCHEMA = {
    "oneOf": [
        {
            "properties": {
                "provenance": {"pattern": "^human$"},
                "generator": {"pattern": _BLANK},
                "model_version": {"pattern": _BLANK},
            },
            "required": ["provenance"],
        },
        {
            "properties": {
                "provenance": {"pattern": f"^({_MACHINE_WRITTEN})$"},
                "generator": {"pattern": NOT_BLANK},
                "model_version": {"pattern": NOT_BLANK},
            },
            "required": ["provenance", "generator", "model_version"],
        },
    ]
}


class VersionWriteSerializer(StrictSerializer):
    schema_keywords = PROVENANCE_SCHEMA

    title = Text(max_length=300)
    body = Text(max_length=MAX_BODY_LENGTH, help_text="Markdown.")
    change_summary = Text(max_length=500, required=False, default="", allow_blank=True)
    references = serializers.ListField(
        child=ReferenceWriteSerializer(), required=False, default=list, max_length=MAX_REFERENCES
    )
    reason = ReasonField()
    provenance = serializers.ChoiceField(
        choices=DECLARABLE_CHOICES,
        help_text="Who or what wrote this version: human (a person), ai_assisted (a person helped by "
        "a model) or ai_generated (drafted by a model). Required.",
        error_messages={
            "required": f"Say who or what wrote this version: one of {_DECLARABLE}.",
            "invalid_choice": f"“{{input}}” is not a provenance you can declare; use one of {_DECLARABLE}.",
        },
    )
    generator = Text(
        max_length=200,
        required=False,
        default="",
        allow_blank=True,
        help_text="The system that drafted it: required for ai_assisted and ai_generated, refused for human.",
    )
    model_version = Text(
        max_length=200,
        required=False,
        default="",
        allow_blank=True,
        help_text="The model and its version: required for ai_assisted and ai_generated, refused for human.",
    )
    source_reference = Text(
        max_length=500,
        required=False,
        default="",
        allow_blank=True,
        help_text="Where the draft came from: the generator's job or record identifier, or a URL.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The four provenance fields, checked together, become the service's ``provenance``."""
        declared = VersionProvenance(
            kind=attrs.pop("provenance"),
            generator=attrs.pop("generator"),
            model_version=attrs.pop("model_version"),
            source_reference=attrs.pop("source_reference"),
        )
        try:
            provenance = declared.cleaned()
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict, code="invalid_provenance") from None
        return {**attrs, "provenance": provenance}


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

    # Written by hand, field for field as declared above (a page of them is the list's main cost;
    # tests/api/test_list_representations.py holds the two to the same output).
    def to_representation(self, article: Article) -> dict[str, Any]:
        zone = timezone.get_current_timezone()
        return {
            "slug": article.slug,
            "title": article.title,
            "specialty": article.specialty.slug,
            "risk_level": article.risk_level,
            "status": article.status,
            "current_version": article.current_version_number,
            "published_version": article.published_version_number,
            "last_reviewed_at": datetime_text(article.last_reviewed_at, zone),
            "review_due_at": datetime_text(article.review_due_at, zone),
            "review_interval_days": article.review_interval_days,
            "created_by": article.created_by.username,
            "created_at": datetime_text(article.created_at, zone),
            "updated_at": datetime_text(article.updated_at, zone),
        }


class ArticleDetailSerializer(ArticleSerializer):
    current_version_provenance = serializers.ChoiceField(
        choices=Provenance.choices,
        read_only=True,
        allow_null=True,
        help_text="Who or what wrote the current version; its generator, model and source are on "
        "the version.",
    )
    allowed_actions = serializers.SerializerMethodField(
        help_text="The workflow actions you can take now (submit, withdraw, retire, restore)."
    )

    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "current_version_provenance", "allowed_actions"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, article: Article) -> list[str]:
        return allowed_actions(article, self.context["request"].user)

    def to_representation(self, article: Article) -> dict[str, Any]:
        return {
            **super().to_representation(article),
            "current_version_provenance": article.current_version_provenance,
            "allowed_actions": self.get_allowed_actions(article),
        }


def specialty_or_404(slug: str) -> Specialty:
    """The specialty a request names: one that does not exist is not found (404), as a reviewer
    that does not exist is, not a malformed request."""
    try:
        return Specialty.objects.get(slug=slug)
    except Specialty.DoesNotExist:
        raise NotFound(f"There is no specialty “{slug}”.") from None


SPECIALTY_HELP = "A specialty's slug; one that does not exist is a 404."


class ArticleCreateSerializer(VersionWriteSerializer):
    slug = Slug(max_length=200, help_text="Unique: one already taken is a 409.")
    specialty = Slug(max_length=100, help_text=SPECIALTY_HELP)
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices, default=RiskLevel.STANDARD)
    review_interval_days = Integer(min_value=1, max_value=3650, required=False, allow_null=True)
    reason = ReasonField(required=False, default="New article")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)  # a malformed body is a 400 before a 404 or a 409
        specialty = specialty_or_404(attrs["specialty"])
        if Article.objects.filter(slug=attrs["slug"]).exists():
            raise AlreadyExists(f"An article with the slug “{attrs['slug']}” already exists.")
        return {**attrs, "specialty": specialty}


class ArticleUpdateSerializer(StrictSerializer):
    """At least one field to change, and the reason."""

    # The rule of validate(), in the schema: besides the reason, at least one of the other fields.
    schema_keywords = {
        "required": ["reason"],
        "anyOf": [
            {"required": [name]} for name in ("title", "specialty", "risk_level", "review_interval_days")
        ],
    }

    title = Text(max_length=300, required=False)
    specialty = Slug(max_length=100, required=False, help_text=SPECIALTY_HELP)
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices, required=False)
    review_interval_days = Integer(min_value=1, max_value=3650, required=False, allow_null=True)
    reason = ReasonField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if len(attrs) == 1:
            raise serializers.ValidationError("Send at least one field to change.", code="nothing_to_change")
        if "specialty" in attrs:
            return {**attrs, "specialty": specialty_or_404(attrs["specialty"])}
        return attrs
