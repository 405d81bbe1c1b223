from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client

from articles.models import RiskLevel
from tests.factories import ArticleFactory, BoardMemberFactory, ChiefFactory, EditorFactory, SpecialtyFactory

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def pytest_sessionstart(session: pytest.Session) -> None:
    # In CI every test that needs PostgreSQL or Redis must run; a misconfigured run must not
    # silently skip them.
    if REQUIRE_SERVICES:
        engine = settings.DATABASES["default"]["ENGINE"]
        assert engine == "django.db.backends.postgresql", f"CI must run on PostgreSQL, not {engine}"
        assert settings.CELERY_BROKER_URL.startswith("redis://"), "CI must use the Redis broker"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """``make mutation`` runs a pytest session per mutant (with ``--reuse-db``): each starts from
    its own copy of a database migrated once (``MUTATION_DB_TEMPLATE``) instead of migrating one,
    which takes seconds, and no session sees what another left behind."""
    template = os.environ.get("MUTATION_DB_TEMPLATE")
    if not template:
        yield
        return
    copy = Path(template).with_name(f"test-{os.getpid()}.sqlite3")
    shutil.copyfile(template, copy)
    database = settings.DATABASES["default"]
    database["TEST"] = {**database.get("TEST", {}), "NAME": str(copy)}
    yield
    copy.unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Sign-in lockouts and throttling count in the cache: each test starts with no count."""
    cache.clear()


@pytest.fixture(autouse=True)
def _force_login_gives_the_second_factor(monkeypatch):
    """``client.force_login`` signs a user in completely, second factor included (see
    tests/security/helpers.py); tests/security/ signs in through the forms."""
    from tests.security.helpers import force_login_with_second_factor

    monkeypatch.setattr(Client, "force_login", force_login_with_second_factor)


@pytest.fixture
def editor():
    return EditorFactory()


@pytest.fixture
def chief():
    return ChiefFactory()


@pytest.fixture
def oncology():
    return SpecialtyFactory(name="Medical oncology", slug="medical-oncology")


@pytest.fixture
def board_member(oncology):
    return BoardMemberFactory(specialties=[oncology])


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def world(db, oncology):
    """An editor, an editor-in-chief, three oncologists and a high-risk oncology article."""
    editor = EditorFactory(username="editor")
    return SimpleNamespace(
        editor=editor,
        chief=ChiefFactory(username="chief"),
        members=[BoardMemberFactory(specialties=[oncology]) for _ in range(3)],
        article=ArticleFactory(slug="phesgo", specialty=oncology, risk_level=RiskLevel.HIGH, actor=editor),
    )


@pytest.fixture(autouse=True)
def _outbox_publisher_resumed():
    """A test that made the outbox's inline publisher pause (a broker failure) must not leave the
    next test's requests skipping it."""
    from editorial.outbox.publisher import inline

    inline.resume()
    yield
    # A send still stuck on a dead or hung broker would hold the next test's publications.
    inline.wait_until_idle(timeout=30)
    inline.resume()
