from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from config.audit import audit, current_audit
from reviewers.models import Specialty
from tests.factories import ChiefFactory

pytestmark = pytest.mark.django_db


def test_history_rows_written_in_an_audit_block_carry_its_actor_and_reason():
    chief = ChiefFactory()
    with audit(actor=chief, reason="  New specialty for the cardiology board  "):
        specialty = Specialty.objects.create(name="Cardiology", slug="cardiology")
        specialty.review_interval_days = 180
        specialty.save()

    rows = list(specialty.history.order_by("history_id"))
    assert [row.history_type for row in rows] == ["+", "~"]
    assert {(row.history_user, row.history_change_reason) for row in rows} == {
        (chief, "New specialty for the cardiology board")
    }
    assert current_audit() is None


@pytest.mark.parametrize("reason", ["", "   ", None, "x" * 2001])
def test_an_audit_block_needs_a_real_reason(reason):
    with pytest.raises(ValidationError) as error:
        with audit(actor=ChiefFactory(), reason=reason):
            pass
    assert "reason" in error.value.message_dict


def test_an_audit_block_needs_a_saved_actor():
    with pytest.raises(TypeError):
        with audit(actor=None, reason="r"):
            pass


def test_nested_blocks_restore_the_outer_context():
    outer_actor, inner_actor = ChiefFactory(), ChiefFactory()
    with audit(actor=outer_actor, reason="outer"):
        with audit(actor=inner_actor, reason="inner"):
            assert current_audit().reason == "inner"
        assert current_audit().actor == outer_actor
