"""Resetting a member's second factor (a lost phone) in the admin: editors-in-chief and
superusers see who has set one up and can reset it. Nobody sees or edits a secret here:
django-otp's own device admins, which show the keys and recovery codes, are taken down."""

from __future__ import annotations

from typing import Any

import django_otp.plugins.otp_static.admin  # noqa: F401 - registered first, so it can be taken down
import django_otp.plugins.otp_totp.admin  # noqa: F401
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.object_pages import MalformedFiltersRefused, NotFoundUnlessVisible
from config.security import two_factor
from config.security.models import SecondFactor

for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(SecondFactor)
class SecondFactorAdmin(NotFoundUnlessVisible, MalformedFiltersRefused, admin.ModelAdmin):
    list_display = ["user", "confirmed", "created_at", "last_used_at"]
    list_display_links = None
    list_filter = ["confirmed"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    ordering = ["user__username"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    readonly_fields = fields
    actions = ["reset_second_factor"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return two_factor.may_reset_second_factors(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return two_factor.may_reset_second_factors(request.user)

    def has_reset_permission(self, request: HttpRequest) -> bool:
        return two_factor.may_reset_second_factors(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(
        permissions=["reset"],
        description="Reset: remove the authenticator and recovery codes (set up again at next sign-in)",
    )
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[TOTPDevice]) -> None:
        users = get_user_model().objects.filter(pk__in=queryset.values("user_id")).order_by("username")
        names = []
        for user in users:
            two_factor.reset(user, actor=request.user)
            names.append(user.get_username())
        self.message_user(
            request,
            f"Second factor reset for {', '.join(names)}: they set up a new one at their next sign-in.",
            messages.SUCCESS,
        )
