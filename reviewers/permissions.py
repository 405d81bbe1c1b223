"""API permissions by role (DRF permission classes). Object-level rules live in each view's
queryset, since DRF does not apply object permissions to lists."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from reviewers.roles import board_member_of, is_editor


class IsEditor(BasePermission):
    """Editors and editors-in-chief."""

    message = "Only editors can do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_editor(request.user)


class IsEditorOrBoardMember(BasePermission):
    message = "Only editors and board members can do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_editor(request.user) or board_member_of(request.user) is not None
