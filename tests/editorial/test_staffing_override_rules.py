"""Override requests once answered: what is recorded of the answer, and a second answer refused."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from editorial import services
from editorial.models import AssignmentState, ReviewAssignment, ReviewRound
from editorial.staffing.models import OverrideRequest, OverrideRequestState
from tests.editorial.conftest import submit
from tests.factories import BoardMemberFactory, SpecialtyFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)


@pytest.fixture
def stuck(world):
    submit(world.article)
    services.auto_assign(actor=world.editor, article=world.article, reason="Auto")
    while pending := list(
        ReviewAssignment.objects.filter(round__article=world.article, state=AssignmentState.PENDING)
    ):
        services.decline(actor=pending[0].reviewer.user, assignment=pending[0], reason="Away")
    return ReviewRound.objects.get(article=world.article, closed_at=None)


@pytest.fixture
def cardiologist():
    return BoardMemberFactory(
        specialties=[SpecialtyFactory(name="Cardiology", slug="cardiology")], display_name="Dr Heart"
    )


def ask(world, round):
    response = client_for(world.editor).post(
        f"/api/v1/rounds/{round.pk}/override-requests/",
        {"reason": "Every oncologist declined"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def grant(chief, request_id, member):
    return client_for(chief).post(
        f"/api/v1/override-requests/{request_id}/grant/",
        {"member": member.pk, "override_reason": "Cardio-oncology expertise"},
        format="json",
    )


def decline(chief, request_id):
    return client_for(chief).post(
        f"/api/v1/override-requests/{request_id}/decline/",
        {"reason": "A new oncologist joins next week"},
        format="json",
    )


def test_a_declined_request_records_who_declined_when_and_why(world, stuck):
    request_id = ask(world, stuck)

    with time_machine.travel(NOW, tick=False):
        assert decline(world.chief, request_id).status_code == 200

    request = OverrideRequest.objects.get(pk=request_id)
    assert (request.state, request.resolved_by, request.resolved_at, request.resolution) == (
        OverrideRequestState.DECLINED,
        world.chief,
        NOW,
        "A new oncologist joins next week",
    )


def test_a_granted_request_records_who_granted_when_and_whom_they_assigned(world, stuck, cardiologist):
    request_id = ask(world, stuck)

    with time_machine.travel(NOW, tick=False):
        assert grant(world.chief, request_id, cardiologist).status_code == 201

    request = OverrideRequest.objects.get(pk=request_id)
    assert (request.state, request.resolved_by, request.resolved_at, request.resolution) == (
        OverrideRequestState.GRANTED,
        world.chief,
        NOW,
        "Dr Heart assigned: Cardio-oncology expertise",
    )


def test_a_declined_request_cannot_then_be_granted(world, stuck, cardiologist):
    request_id = ask(world, stuck)
    decline(world.chief, request_id)

    response = grant(world.chief, request_id, cardiologist)

    assert (response.status_code, response.json()) == (
        409,
        {"code": "override_request_closed", "detail": "This request was already declined."},
    )
    assert not ReviewAssignment.objects.filter(reviewer=cardiologist).exists()


def test_a_granted_request_cannot_then_be_declined(world, stuck, cardiologist):
    request_id = ask(world, stuck)
    grant(world.chief, request_id, cardiologist)

    response = decline(world.chief, request_id)

    assert (response.status_code, response.json()) == (
        409,
        {"code": "override_request_closed", "detail": "This request was already granted."},
    )
    assert OverrideRequest.objects.get(pk=request_id).state == OverrideRequestState.GRANTED
