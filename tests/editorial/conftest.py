from __future__ import annotations

import pytest

from articles.models import RiskLevel
from editorial import services
from editorial.models import AssignmentState, ReviewAssignment
from reviewers.services import get_system_user
from tests.factories import ArticleFactory, BoardMemberFactory


@pytest.fixture
def specialists(oncology):
    """Three oncologists with free capacity and current credentials."""
    return [BoardMemberFactory(specialties=[oncology]) for _ in range(3)]


@pytest.fixture
def article(oncology, editor):
    return ArticleFactory(specialty=oncology, actor=editor)


@pytest.fixture
def high_risk_article(oncology, editor):
    return ArticleFactory(specialty=oncology, actor=editor, risk_level=RiskLevel.HIGH)


@pytest.fixture
def system_user(db):
    return get_system_user()


def submit(article, actor=None):
    return services.submit(actor=actor or article.created_by, article=article, reason="Ready for review")


def assign(article, member, actor=None, **kwargs):
    return services.assign(
        actor=actor or article.created_by,
        article=article,
        reviewer=member,
        reason="Best placed to review",
        **kwargs,
    )


def in_review(article, *members):
    """Submit ``article`` and assign ``members``; returns their assignments."""
    submit(article)
    return [assign(article, member) for member in members]


def approve(assignment, comment=""):
    return services.decide(
        actor=assignment.reviewer.user, assignment=assignment, decision="approve", comment=comment
    )


def new_version(article, body="Revised text.", actor=None):
    return services.add_version(
        actor=actor or article.created_by, article=article, title="Revised", body=body, reason="Revision"
    )


def refreshed(obj):
    obj.refresh_from_db()
    return obj


@pytest.fixture
def outbox_runs_tasks(monkeypatch):
    """Stands in for the broker and a worker: what the outbox publishes after a commit runs at
    once, in this process (not on the publisher's thread, which has no view of the test's
    transaction). Returns the (topic, payload) pairs published."""
    import importlib

    from editorial.outbox import publisher

    published = []

    def publish(messages):
        for _, topic, payload in messages:
            published.append((topic, payload))
            module, name = publisher.TASKS[topic].rsplit(".", 1)
            getattr(importlib.import_module(module), name)(**payload)
        return [pk for pk, _, _ in messages]

    monkeypatch.setattr(publisher.inline, "publish", publish)
    return published


def everyone_declines(article, editor):
    """Auto-assign, then every member asked (replacements included) declines, until nobody is left."""
    services.auto_assign(actor=editor, article=article, reason="Auto")
    while pending := list(
        ReviewAssignment.objects.filter(round__article=article, state=AssignmentState.PENDING)
    ):
        services.decline(actor=pending[0].reviewer.user, assignment=pending[0], reason="Away")
