from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse

from articles.models import Article, ArticleVersion, Reference
from articles.selectors import article_list
from articles.services import ARTICLE_METADATA_FIELDS, update_article
from config.admin import AuditedModelAdmin
from reviewers.roles import is_editor


@admin.register(Article)
class ArticleAdmin(AuditedModelAdmin):
    list_display = [
        "slug",
        "title",
        "specialty",
        "risk_level",
        "status",
        "current_version_number",
        "published_version_number",
        "last_reviewed_at",
        "review_due_at",
    ]
    list_filter = ["status", "risk_level", "specialty"]
    search_fields = ["slug", "title"]
    history_list_display = ["status_label", "current_version", "published_version"]
    readonly_fields = [
        "slug",
        "status",
        "current_version",
        "published_version",
        "last_reviewed_at",
        "review_due_at",
        "created_by",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["slug", "title", "specialty", "risk_level", "review_interval_days"]}),
        (
            "Review",
            {
                "fields": [
                    "status",
                    "current_version",
                    "published_version",
                    "last_reviewed_at",
                    "review_due_at",
                ]
            },
        ),
        ("Record", {"fields": ["created_by", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> Any:
        # Version numbers, not whole versions with their text, for the list.
        return article_list()

    def has_add_permission(self, request: HttpRequest) -> bool:
        # An article is created with its first version, through the editors' API.
        return False

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> Any:
        # The review dossier is editorial's (its page joins the admin's URLs by name); it is for
        # editors and editors-in-chief.
        link = (
            reverse("admin:articles_article_dossier", args=[object_id])
            if is_editor(request.user) and object_id.isdigit()
            else None
        )
        return super().change_view(
            request, object_id, form_url, {"review_dossier_url": link, **(extra_context or {})}
        )

    def save_model(self, request: HttpRequest, obj: Article, form: forms.ModelForm, change: bool) -> None:
        update_article(
            actor=request.user,
            article=obj,
            reason=form.cleaned_data["change_reason"],
            **{
                field: form.cleaned_data[field]
                for field in ARTICLE_METADATA_FIELDS
                if field in form.changed_data
            },
        )

    @admin.display(description="Status")
    def status_label(self, record: Any) -> str:
        return record.get_status_display()

    @admin.display(description="Current", ordering="current_version__number")
    def current_version_number(self, article: Article) -> Any:
        return article.current_version_number

    @admin.display(description="Published", ordering="published_version__number")
    def published_version_number(self, article: Article) -> Any:
        return article.published_version_number


class ReferenceInline(admin.TabularInline):
    model = Reference
    fields = ["position", "citation", "source", "year", "url", "doi", "pmid"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ArticleVersion)
class ArticleVersionAdmin(AuditedModelAdmin):
    """Versions are the record of what was written and reviewed: they can be read, never edited."""

    list_display = ["article", "number", "title", "author", "created_at", "short_hash"]
    list_filter = ["article__specialty"]
    search_fields = ["article__slug", "title"]
    list_select_related = ["article", "author"]
    fields = ["article", "number", "title", "body", "change_summary", "author", "created_at", "content_hash"]
    readonly_fields = fields
    inlines = [ReferenceInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        queryset = super().get_queryset(request)
        # The list does not show the text; the page of one version does.
        return queryset.defer("body") if request.resolver_match.url_name.endswith("changelist") else queryset

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Content hash")
    def short_hash(self, version: ArticleVersion) -> str:
        return version.content_hash[:12]
