"""Who may make each status transition of an article, as django-fsm-2 permission callables
``(article, user) -> bool``. The workflow service checks them through the FSM, so the same rule
answers "may this user do this now" for the API, the admin and the scheduler."""

from __future__ import annotations

from typing import Any

from reviewers.roles import board_member_of, is_editor, is_editor_in_chief, is_system_user


def editor_or_scheduler(article: Any, user: Any) -> bool:
    return is_editor(user) or is_system_user(user)


def editor(article: Any, user: Any) -> bool:
    return is_editor(user)


def board_member(article: Any, user: Any) -> bool:
    # Which member may decide on which round is the assignment's business (editorial.services).
    return board_member_of(user) is not None


def editor_in_chief(article: Any, user: Any) -> bool:
    return is_editor_in_chief(user)


def scheduler(article: Any, user: Any) -> bool:
    return is_system_user(user)
