from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.utils import timezone

from articles.models import Article, ArticleStatus, RiskLevel
from editorial.models import ReviewAssignment
from reviewers.models import BoardMember

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table, so that "changes nothing" can be checked literally."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in apps.get_models(include_auto_created=True)
        if model._meta.label != "sessions.Session"
    }


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def test_seed_demo_loads_the_board_and_the_phesgo_article(debug):
    call_command("seed_demo", verbosity=0)

    for username in ["editor", "chief", "dr_oncology1", "dr_oncology2", "dr_cardiology"]:
        assert authenticate(username=username, password="demo") is not None, username
    members = {m.user.username: {s.slug for s in m.specialties.all()} for m in BoardMember.objects.all()}
    assert members == {
        "dr_oncology1": {"medical-oncology"},
        "dr_oncology2": {"medical-oncology"},
        "dr_cardiology": {"cardiology"},
    }
    phesgo = Article.objects.get(slug="phesgo-docetaxel-cycles-her2-metastatic-breast-cancer")
    assert (phesgo.specialty.slug, phesgo.risk_level) == ("medical-oncology", RiskLevel.HIGH)
    assert "at least six cycles" in phesgo.current_version.body
    assert "Monitor cardiac function" in phesgo.current_version.body
    assert "Monitor cardiac function" not in phesgo.published_version.body
    assert phesgo.current_version.references.count() == 5


def test_seed_demo_plays_articles_through_the_workflow_to_every_status(debug):
    call_command("seed_demo", verbosity=0)

    assert set(Article.objects.values_list("status", flat=True)) == set(ArticleStatus.values)
    phesgo = Article.objects.get(slug="phesgo-docetaxel-cycles-her2-metastatic-breast-cancer")
    assert (phesgo.status, phesgo.published_version.number, phesgo.current_version.number) == (
        ArticleStatus.UNDER_REVIEW,
        1,
        2,
    )
    decisions = {
        (a.reviewer.user.username, a.state)
        for a in ReviewAssignment.objects.filter(round__article=phesgo, round__closed_at=None)
    }
    assert decisions == {("dr_oncology1", "pending"), ("dr_oncology2", "completed")}
    overdue = ReviewAssignment.objects.filter(
        reviewer__user__username="dr_oncology1", due_at__lt=timezone.now()
    )
    assert overdue.open().exists()
    for article in Article.objects.all():
        assert all(row.history_user_id and row.history_change_reason for row in article.history.all())


def test_seed_demo_twice_adds_nothing_and_changes_nothing(debug, capsys):
    call_command("seed_demo")
    before = snapshot()
    capsys.readouterr()

    call_command("seed_demo")

    assert snapshot() == before
    assert "nothing changed" in capsys.readouterr().out


def test_seed_demo_uses_the_demo_password_from_the_environment(settings):
    settings.DEMO_PASSWORD = "a-better-demo-password"
    call_command("seed_demo", verbosity=0)
    assert authenticate(username="editor", password="a-better-demo-password") is not None
    assert authenticate(username="editor", password="demo") is None


def test_seed_demo_refuses_the_default_password_outside_debug(settings):
    settings.DEBUG = False
    settings.DEMO_PASSWORD = "demo"
    with pytest.raises(CommandError, match="DEMO_PASSWORD"):
        call_command("seed_demo")
    assert not Article.objects.exists()
