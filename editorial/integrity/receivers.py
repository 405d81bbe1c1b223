"""Signal handlers that re-check approvals at once when something they rely on changes.

Model signals, rather than calls from each edit path, so that every path that can make the change
(the admin's forms and inlines, a shell, a data fix, a future API) starts the same check. They run
inside the change's own transaction: the change and its consequences commit together or not at all.
Connected in ``editorial.apps.EditorialConfig.ready``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_save
from django.utils import timezone

from articles.signals import article_reclassified
from editorial.integrity.revalidation import acting_user, revalidate_member
from editorial.services.approvals import revalidate_article
from reviewers.models import BoardMember, ConflictOfInterest

# Saves that cannot change a member's standing: signing in records the time and may rehash the
# password.
_IRRELEVANT_USER_FIELDS = frozenset({"last_login", "password"})


def conflict_saved(sender: Any, instance: ConflictOfInterest, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    today = timezone.localdate()
    if instance.declared_on > today or (instance.expires_on is not None and instance.expires_on < today):
        return  # not in force: the daily check picks it up on the day it starts
    what = instance.keyword or "this article"
    revalidate_member(
        member_id=instance.member_id,
        cause=f"Conflict of interest declared for {instance.member.display_name} ({what})",
    )


def member_saved(sender: Any, instance: BoardMember, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    revalidate_member(member_id=instance.pk, cause=f"{instance.display_name}'s board record changed")


def user_saved(
    sender: Any, instance: Any, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    if raw or (update_fields and set(update_fields) <= _IRRELEVANT_USER_FIELDS):
        return
    _revalidate_users([instance.pk], cause="account changed")


def groups_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    if action not in ("post_remove", "post_clear"):
        return
    # Forward: a user's groups changed. Reverse: a group's users changed (pk_set holds users;
    # on a clear it is None, and the group's users are already gone: nothing left to find).
    user_ids = sorted(pk_set or []) if reverse else [instance.pk]
    _revalidate_users(user_ids, cause="role changed")


def _revalidate_users(user_ids: list[int], *, cause: str) -> None:
    for member_id, name in BoardMember.objects.filter(user_id__in=user_ids).values_list("pk", "display_name"):
        revalidate_member(member_id=member_id, cause=f"{name}'s {cause}")


def article_reclassified_handler(
    sender: Any, article: Any, changes: dict[str, tuple[Any, Any]], **kwargs: Any
) -> None:
    described = "; ".join(
        f"{field.replace('_', ' ')} changed from {old} to {new}" for field, (old, new) in changes.items()
    )
    revalidate_article(article_id=article.pk, voided_by=acting_user(), cause=f"Reclassified: {described}")


def connect() -> None:  # pragma: no mutate block (runs at start-up, before any mutant is on)
    User = get_user_model()
    post_save.connect(conflict_saved, sender=ConflictOfInterest, dispatch_uid="integrity_conflict_saved")
    post_save.connect(member_saved, sender=BoardMember, dispatch_uid="integrity_member_saved")
    post_save.connect(user_saved, sender=User, dispatch_uid="integrity_user_saved")
    m2m_changed.connect(groups_changed, sender=User.groups.through, dispatch_uid="integrity_groups_changed")
    article_reclassified.connect(article_reclassified_handler, dispatch_uid="integrity_article_reclassified")
