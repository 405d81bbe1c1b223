"""/metrics: absent by default, refused without the token, and the figures an operator alerts on."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from articles.models import RiskLevel
from editorial.observability.metrics import exposition
from editorial.outbox.models import OutboxMessage
from editorial.tasks import mark_stale_articles, send_review_reminders
from tests.editorial.conftest import approve, assign, submit
from tests.factories import ArticleFactory, BoardMemberFactory

pytestmark = pytest.mark.django_db

TOKEN = "a-metrics-token-for-the-tests"


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = TOKEN


def scrape(client: Client | None = None, token: str = TOKEN):
    return (client or Client()).get(
        "/metrics", HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="10.0.3.17:9000"
    )


def samples(response) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of a scrape."""
    families = text_string_to_metric_families(response.content.decode())
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in families
        for sample in family.samples
    }


# --- Who may read them -----------------------------------------------------------------------------


def test_metrics_are_absent_unless_enabled():
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found."}


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Token {TOKEN}", f"Basic {TOKEN}"])
def test_metrics_are_refused_without_the_token(metrics_on, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = Client().get("/metrics", **headers)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert "editorial_" not in response.content.decode()


def test_metrics_with_the_token_are_prometheus_text_never_cached(metrics_on):
    response = scrape()

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies


def test_enabling_metrics_without_a_token_stops_start_up(tmp_path):
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "VAR_DIR": str(tmp_path),
        "METRICS_ENABLED": "1",
    }
    env.pop("METRICS_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "METRICS_ENABLED is on: set METRICS_TOKEN" in result.stderr


# --- The figures ---------------------------------------------------------------------------------


def test_reviews_rounds_outbox_and_sweeps_are_reported(metrics_on, world, oncology):
    now = timezone.now()
    # A high-risk round (two approvals needed) with one reviewer: short of one.
    submit(world.article)
    with time_machine.travel(now - datetime.timedelta(days=10)):
        assign(world.article, world.members[0], due_at=now - datetime.timedelta(days=1))  # overdue
    # A standard round with its one reviewer, who approved: complete, nothing open.
    done = ArticleFactory(specialty=oncology, actor=world.editor)
    submit(done)
    approve(assign(done, world.members[1]))
    # A standard round with its one reviewer still to decide: covered.
    covered = ArticleFactory(specialty=oncology, actor=world.editor)
    submit(covered)
    assign(covered, world.members[2])
    # A high-risk round with nobody yet: short.
    submit(ArticleFactory(specialty=oncology, actor=world.editor, risk_level=RiskLevel.HIGH))
    send_review_reminders()
    mark_stale_articles()
    # Everything owed so far was handed to the broker (the sweep's emails included), but one
    # message written 90 seconds ago is still waiting.
    OutboxMessage.objects.all().update(published_at=now)
    OutboxMessage.objects.create(
        topic="notifications.deliver", payload={}, created_at=now - datetime.timedelta(seconds=90)
    )

    found = samples(scrape())

    assert found[("editorial_reviews_pending", ())] == 2
    assert found[("editorial_reviews_overdue", ())] == 1
    assert found[("editorial_rounds_short_of_reviewers", ())] == 2
    assert found[("editorial_outbox_pending_messages", ())] == 1
    assert 90 <= found[("editorial_outbox_oldest_message_age_seconds", ())] < 120
    for task in ("send_review_reminders", "mark_stale_articles"):
        assert 0 <= found[("editorial_task_last_duration_seconds", (("task", task),))] < 60
        finished = found[("editorial_task_last_success_timestamp_seconds", (("task", task),))]
        assert abs(finished - timezone.now().timestamp()) < 60
    assert found[("editorial_metrics_database_up", ())] == 1


def test_an_empty_system_reports_zeros(metrics_on):
    found = samples(scrape())

    for name in (
        "editorial_reviews_pending",
        "editorial_reviews_overdue",
        "editorial_rounds_short_of_reviewers",
        "editorial_outbox_pending_messages",
        "editorial_outbox_oldest_message_age_seconds",
    ):
        assert found[(name, ())] == 0, name


def test_a_withdrawn_round_and_a_voided_approval_count_as_they_should(metrics_on, world):
    """Closed rounds are not short; a voided approval no longer covers its seat."""
    submit(world.article)
    first, second = assign(world.article, world.members[0]), assign(world.article, world.members[1])
    approve(first)
    assert samples(scrape())[("editorial_rounds_short_of_reviewers", ())] == 0

    type(first).objects.filter(pk=first.pk).update(
        voided_at=timezone.now(), void_reason="A conflict of interest"
    )
    assert samples(scrape())[("editorial_rounds_short_of_reviewers", ())] == 1
    assert second.state == "pending"


def test_the_scrape_costs_the_same_queries_for_much_more_data(metrics_on, oncology, editor):
    members = [BoardMemberFactory(specialties=[oncology], max_open_reviews=50) for _ in range(2)]

    def add(count):
        for _ in range(count):
            article = ArticleFactory(specialty=oncology, actor=editor, risk_level=RiskLevel.HIGH)
            submit(article)
            assign(article, members[0])
        send_review_reminders()

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            exposition()
        return len(captured.captured_queries)

    add(1)
    few = queries()
    add(20)
    mark_stale_articles()
    assert queries() == few == 4


def test_request_latency_is_observed_by_view_method_and_status_class(metrics_on):
    client = Client()
    key = (
        "editorial_http_request_duration_seconds_count",
        (("method", "GET"), ("status", "2xx"), ("view", "api:public-article-list")),
    )
    missing = (
        "editorial_http_request_duration_seconds_count",
        (("method", "GET"), ("status", "4xx"), ("view", "unmatched")),
    )
    before = samples(scrape(client))

    client.get("/api/v1/public/articles/")
    client.get("/api/v1/public/articles/")
    client.get("/no-such-page/")

    after = samples(scrape(client))
    assert after[key] - before.get(key, 0) == 2
    assert after[missing] - before.get(missing, 0) == 1
    assert not any(
        labels and dict(labels).get("view") == "metrics" for _, labels in after
    )  # scrapes are not counted


MULTIPROCESS_WORKER = """
import django
django.setup()
from django.test import Client
for _ in range({requests}):
    assert Client().get("/api/v1/public/articles/").status_code == 200
"""

MULTIPROCESS_SCRAPE = """
import django
django.setup()
from prometheus_client.parser import text_string_to_metric_families
from editorial.observability.metrics import REQUEST_LATENCY, exposition
text = exposition().decode()
for family in text_string_to_metric_families(text):
    for sample in family.samples:
        if sample.name.endswith("_count") and sample.labels["view"] == "api:public-article-list":
            print(int(sample.value))
"""


def test_request_latency_adds_up_over_several_processes_in_multiprocess_mode(tmp_path):
    """What gunicorn with several workers does: each process observes into PROMETHEUS_MULTIPROC_DIR,
    and any one of them, scraped, reports the sum."""
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "METRICS_ENABLED": "1",
        "METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "ALLOWED_HOSTS": "testserver",
    }

    def run(code: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=django_settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    run("import django; django.setup(); from django.core.management import call_command as c; c('migrate')")
    run(MULTIPROCESS_WORKER.format(requests=2))
    run(MULTIPROCESS_WORKER.format(requests=3))

    assert run(MULTIPROCESS_SCRAPE).split() == ["5"]
