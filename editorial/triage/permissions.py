"""Who may use the triage queue: its reads are for editors-in-chief; page views come from the site's
analytics, as a service account holding the ``site_analytics`` role (nothing else: it can neither
read nor change an article), or from an editor-in-chief."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from reviewers.roles import has_role, is_editor_in_chief

# A group like the three editorial roles (reviewers.roles.Role), created by this app's migration
# 0002; it gives no admin permission and no other endpoint.
ANALYTICS_ROLE = "site_analytics"


def may_feed_page_views(user: Any) -> bool:
    return is_editor_in_chief(user) or has_role(user, ANALYTICS_ROLE)  # type: ignore[arg-type]


class IsEditorInChief(BasePermission):
    message = "Only editors-in-chief see the triage queue."

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_editor_in_chief(request.user)


class MayFeedPageViews(BasePermission):
    message = "Only the site's analytics account (role site_analytics) and editors-in-chief send page views."

    def has_permission(self, request: Any, view: Any) -> bool:
        return may_feed_page_views(request.user)
