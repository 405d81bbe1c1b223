from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from knox import admin as knox_admin
from knox.models import AuthToken

from config.admin import AuditedModelAdmin
from config.object_pages import MalformedFiltersRefused, NotFoundUnlessVisible
from reviewers.models import BoardMember, ConflictOfInterest, Specialty

# The admins other apps register, with the same answers as ours to ids and filters that are malformed.
for model, model_admin in [
    (get_user_model(), auth_admin.UserAdmin),
    (Group, auth_admin.GroupAdmin),
    (AuthToken, knox_admin.AuthTokenAdmin),
]:
    admin.site.unregister(model)
    bases = (NotFoundUnlessVisible, MalformedFiltersRefused, model_admin)
    admin.site.register(model, type(model_admin.__name__, bases, {}))


@admin.register(Specialty)
class SpecialtyAdmin(AuditedModelAdmin):
    list_display = ["name", "slug", "review_interval_days"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class ConflictOfInterestInline(admin.TabularInline):
    model = ConflictOfInterest
    fk_name = "member"
    extra = 0
    fields = ["article", "keyword", "reason", "declared_on", "expires_on"]
    autocomplete_fields = ["article"]
    can_delete = False


@admin.register(BoardMember)
class BoardMemberAdmin(AuditedModelAdmin):
    list_display = [
        "display_name",
        "credentials",
        "specialty_names",
        "is_active",
        "max_open_reviews",
        "credentials_verified_until",
    ]
    list_filter = ["is_active", "specialties"]
    search_fields = ["display_name", "user__username", "user__email"]
    filter_horizontal = ["specialties"]
    inlines = [ConflictOfInterestInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("specialties")

    @admin.display(description="Specialties")
    def specialty_names(self, member: BoardMember) -> str:
        return ", ".join(specialty.name for specialty in member.specialties.all())


@admin.register(ConflictOfInterest)
class ConflictOfInterestAdmin(AuditedModelAdmin):
    list_display = ["member", "article", "keyword", "declared_on", "expires_on"]
    list_filter = ["declared_on"]
    search_fields = ["member__display_name", "keyword", "article__title", "article__slug"]
    autocomplete_fields = ["member", "article"]
    list_select_related = ["member", "article"]
