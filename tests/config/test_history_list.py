"""The history pages are written for people: each change by who, when (local time to the minute,
the zone named) and why, what happened in words ("Approved by Dr X"), and what changed, each
field by its label, old value to new, choices by their labels. (Before: raw column names such as
status_label, times with the seconds and a.m./p.m. in no named zone, and a "Changes" column that
was always empty, because simple-history compared only the fields a form could edit.)"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.db import models
from django.test import Client
from django.urls import reverse

from config.history_pages import ValueDisplay
from editorial import services
from tests.editorial.conftest import approve, assign, submit
from tests.factories import ArticleFactory, BoardMemberFactory

pytestmark = pytest.mark.django_db

MINUTE = re.compile(r"\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2} ([A-Z]{3,4})")


def history_url(obj) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_history", args=[obj.pk])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def history_table(response) -> str:
    html = response.content.decode()
    match = re.search(r'<table id="change-history".*?</table>', html, re.S)
    assert match, "no history table"
    return match.group(0)


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&rarr;", "→").split())


@pytest.fixture
def reviewed(oncology, editor):
    """An article approved by one member, and a second one sent back for changes by another."""
    first = BoardMemberFactory(specialties=[oncology], display_name="Dr Ada Okafor")
    second = BoardMemberFactory(specialties=[oncology], display_name="Dr Ben Lindqvist")
    approved = ArticleFactory(specialty=oncology, actor=editor, slug="approved", title="Approved one?")
    submit(approved)
    approval = assign(approved, first)
    approve(approval, comment="Matches the guideline.")
    returned = ArticleFactory(specialty=oncology, actor=editor, slug="returned", title="Returned one?")
    submit(returned)
    sent_back = assign(returned, second)
    services.decide(
        actor=second.user, assignment=sent_back, decision="request_changes", comment="Cite the trial."
    )
    return {"approved": approved, "approval": approval, "sent_back": sent_back}


def test_an_articles_history_shows_each_status_change_by_its_labels(reviewed, chief):
    table = history_table(signed_in(chief).get(history_url(reviewed["approved"])))

    shown = text(table)
    assert "Status: Submitted → Under review" in shown
    assert "Status: Under review → Approved" in shown
    assert "under_review" not in table  # the label, never the code
    assert "status_label" not in table and "current_version" not in table  # column labels, not names
    assert '<th scope="col">Status</th>' in table


def test_times_are_local_to_the_minute_with_the_zone_named(reviewed, chief, settings):
    utc = history_table(signed_in(chief).get(history_url(reviewed["approved"])))
    settings.TIME_ZONE = "Europe/Paris"
    paris = history_table(signed_in(chief).get(history_url(reviewed["approved"])))

    assert {zone for zone in MINUTE.findall(text(utc))} == {"UTC"}
    assert set(MINUTE.findall(text(paris))) <= {"CET", "CEST"} and MINUTE.findall(text(paris))
    for table in (utc, paris):
        assert not re.search(r"\d{2}:\d{2}:\d{2}", text(table))  # no seconds, no microseconds
        assert "a.m." not in table and "p.m." not in table


def test_the_history_page_costs_the_same_queries_for_many_changes(
    reviewed, chief, django_assert_max_num_queries
):
    approval = reviewed["approval"]
    client = signed_in(chief)
    client.get(history_url(approval))  # the session and the user, once
    with django_assert_max_num_queries(30) as few:
        client.get(history_url(approval))
    for day in range(2, 40):
        record = approval.history.earliest()
        record.pk = None
        record.history_change_reason = f"Copy {day}"
        record.save()
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        response = client.get(history_url(approval))
    assert response.status_code == 200
    assert approval.history.count() >= 40
    assert len(many.captured_queries) <= len(few.captured_queries)


def test_a_structured_value_is_said_to_be_recorded_not_dumped_in_the_list():
    """A JSON field (a decision's snapshot) would fill the list with a dictionary: the list says it
    was recorded; the entry's own page shows it."""
    record = SimpleNamespace(snapshot={"credentials": "MD", "specialties": ["Cardiology"]}, nothing={})
    snapshot, nothing = models.JSONField(name="snapshot"), models.JSONField(name="nothing")
    snapshot.set_attributes_from_name("snapshot")
    nothing.set_attributes_from_name("nothing")

    show = ValueDisplay("-")

    assert show(record, snapshot) == "recorded (shown on this entry's page)"
    assert show(record, nothing) == "-"
