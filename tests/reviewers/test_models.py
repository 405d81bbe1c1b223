from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError
from django.utils import timezone

from config.audit import audit
from reviewers.models import BoardMember, ConflictOfInterest
from reviewers.roles import Role, board_member_of, is_editor, is_editor_in_chief
from tests.factories import ArticleFactory, BoardMemberFactory, ChiefFactory, EditorFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.mark.parametrize(
    ("verified_until", "current"),
    [
        (None, False),
        (TODAY - datetime.timedelta(days=1), False),
        (TODAY, True),
        (TODAY + datetime.timedelta(days=30), True),
    ],
)
def test_credentials_are_current_until_the_check_runs_out(verified_until, current):
    member = BoardMemberFactory(credentials_verified_until=verified_until)
    assert member.credentials_current(on=TODAY) is current


def test_a_conflict_must_name_an_article_or_a_keyword():
    member = BoardMemberFactory()
    with pytest.raises(IntegrityError):
        ConflictOfInterest.objects.create(member=member, reason="Unspecified")


def test_a_conflict_cannot_end_before_it_was_declared():
    member = BoardMemberFactory()
    with pytest.raises(IntegrityError):
        ConflictOfInterest.objects.create(
            member=member,
            keyword="Roche",
            reason="r",
            declared_on=TODAY,
            expires_on=TODAY - datetime.timedelta(days=1),
        )


def test_conflicts_in_force_exclude_expired_and_future_declarations():
    # The declaration below takes today's date when it is saved: so does the test, not the module's
    # import (a run that crosses midnight would otherwise ask about yesterday).
    today = timezone.localdate()
    member = BoardMemberFactory()
    article = ArticleFactory()
    current = ConflictOfInterest.objects.create(member=member, article=article, reason="r")
    ConflictOfInterest.objects.create(
        member=member,
        keyword="Old",
        reason="r",
        declared_on=today - datetime.timedelta(days=400),
        expires_on=today - datetime.timedelta(days=1),
    )
    ConflictOfInterest.objects.create(
        member=member, keyword="Future", reason="r", declared_on=today + datetime.timedelta(days=1)
    )
    assert list(ConflictOfInterest.objects.in_force(on=today)) == [current]


def test_board_member_changes_record_actor_reason_and_specialties(oncology):
    chief = ChiefFactory()
    member = BoardMemberFactory()
    with audit(actor=chief, reason="Joined the oncology panel"):
        member.specialties.add(oncology)

    latest = member.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (chief, "Joined the oncology panel")
    assert [row.specialty for row in latest.specialties.all()] == [oncology]


def test_roles_come_from_groups_only():
    editor, chief, member = EditorFactory(), ChiefFactory(), BoardMemberFactory()
    superuser = UserFactory(is_superuser=True, is_staff=True)

    assert is_editor(editor) and not is_editor_in_chief(editor)
    assert is_editor(chief) and is_editor_in_chief(chief)
    assert board_member_of(member.user) == member
    assert board_member_of(editor) is None
    assert not is_editor(superuser) and board_member_of(superuser) is None


def test_a_board_member_role_without_a_profile_is_not_a_board_member():
    user = UserFactory(roles=[Role.BOARD_MEMBER])
    assert not BoardMember.objects.filter(user=user).exists()
    assert board_member_of(user) is None


def test_inactive_users_hold_no_role():
    editor = EditorFactory(is_active=False)
    assert not is_editor(editor)
