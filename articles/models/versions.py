"""What an article says: its versions and their references, immutable once written, so that an
approval always names exactly the text it approved."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from articles.content import ReferenceContent, VersionContent
from articles.exceptions import ImmutableVersionError
from articles.models.article import Article
from articles.provenance import MACHINE_WRITTEN, Provenance, VersionProvenance
from config.audit import AuditedHistoricalRecords


class ImmutableQuerySet(models.QuerySet):
    """Refuses bulk changes to rows that must never change once written."""

    def update(self, **kwargs: Any) -> int:
        raise ImmutableVersionError(
            f"{self.model._meta.verbose_name_plural} cannot be changed; create a new version instead."
        )

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        return self.update()

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableVersionError(
            f"{self.model._meta.verbose_name_plural} cannot be deleted; they are the record of "
            "what was published and reviewed."
        )


class ImmutableModel(models.Model):
    """A row that can be created but never saved again nor deleted."""

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableVersionError(
                f"This {self._meta.verbose_name} is immutable; create a new version instead."
            )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableVersionError(
            f"This {self._meta.verbose_name} cannot be deleted; it is part of the review record."
        )


class ArticleVersion(ImmutableModel):
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    body = models.TextField(help_text="Markdown.")
    change_summary = models.CharField(
        max_length=500,
        blank=True,
        help_text="What changed since the previous version, for reviewers.",
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    content_hash = models.CharField(
        max_length=64, editable=False, help_text="SHA-256 of the title, body and references."
    )
    provenance = models.CharField(
        max_length=20,
        choices=Provenance.choices,
        default=Provenance.HUMAN,
        help_text="Who or what wrote this version.",
    )
    generator = models.CharField(
        max_length=200, blank=True, help_text="The system that drafted it, e.g. a drafting pipeline."
    )
    model_version = models.CharField(
        max_length=200, blank=True, help_text="The model and its version that drafted it."
    )
    source_reference = models.CharField(
        max_length=500,
        blank=True,
        help_text="Where the draft came from: the generator's job or record identifier, or a URL.",
    )

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["article_id", "-number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="version_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="version_number_positive"),
            models.CheckConstraint(
                condition=(Q(provenance__in=MACHINE_WRITTEN) & ~Q(generator="") & ~Q(model_version=""))
                | (~Q(provenance__in=MACHINE_WRITTEN) & Q(generator="") & Q(model_version="")),
                name="version_generator_only_when_machine_written",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article.slug} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding and len(self.content_hash) != 64:
            raise ValueError("A version needs its content_hash; create it with create_version().")
        super().save(*args, **kwargs)

    def content(self) -> VersionContent:
        return VersionContent(
            title=self.title,
            body=self.body,
            references=tuple(reference.content() for reference in self.references.all()),
        )

    def provenance_record(self) -> VersionProvenance:
        return VersionProvenance(
            kind=self.provenance,
            generator=self.generator,
            model_version=self.model_version,
            source_reference=self.source_reference,
        )

    def recompute_content_hash(self) -> str:
        """The hash of the content as stored now; equals ``content_hash`` unless rows were tampered
        with outside the application."""
        return self.content().sha256()


class Reference(ImmutableModel):
    version = models.ForeignKey(ArticleVersion, on_delete=models.PROTECT, related_name="references")
    position = models.PositiveSmallIntegerField(help_text="1 for the first reference.")
    citation = models.TextField()
    source = models.CharField(
        max_length=200,
        blank=True,
        help_text="Guideline body or journal, e.g. ESMO, Lancet Oncol.",
    )
    year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1800), MaxValueValidator(2100)]
    )
    url = models.URLField(max_length=500, blank=True)
    doi = models.CharField(
        max_length=200,
        blank=True,
        validators=[RegexValidator(r"^10\.\d{4,9}/\S+$", "Enter a DOI such as 10.1056/NEJMoa1113216.")],
    )
    pmid = models.CharField(
        max_length=12,
        blank=True,
        validators=[RegexValidator(r"^\d{1,12}$", "A PubMed ID is digits only, e.g. 22149876.")],
    )

    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["version_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="reference_position_unique"),
        ]

    def __str__(self) -> str:
        return self.citation

    def content(self) -> ReferenceContent:
        return ReferenceContent(
            citation=self.citation,
            source=self.source,
            year=self.year,
            url=self.url,
            doi=self.doi,
            pmid=self.pmid,
        )
