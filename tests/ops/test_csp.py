"""The Content-Security-Policy: on every page and API response, and nothing on our pages needs
more than it allows (an inline script or style runs only with the response's nonce)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.editorial.conftest import assign, submit
from tests.factories import ArticleFactory, BoardMemberFactory

pytestmark = pytest.mark.django_db

POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy_of(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def nonce_of(response) -> str | None:
    for source in policy_of(response)["script-src"]:
        if source.startswith("'nonce-"):
            return source.removeprefix("'nonce-").removesuffix("'")
    return None


def without_nonce(directives: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: [s for s in sources if not s.startswith("'nonce-")] for name, sources in directives.items()}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def review(oncology, editor):
    member = BoardMemberFactory(specialties=[oncology])
    article = ArticleFactory(specialty=oncology, actor=editor, slug="phesgo")
    submit(article)
    return assign(article, member)


@pytest.fixture
def pages(review, editor, chief):
    """(client, path, extra headers) for each kind of page and response the site serves."""
    member = review.reviewer.user
    anonymous = Client()
    return {
        "admin login": (anonymous, "/admin/login/", {}),
        "admin index": (signed_in(chief), "/admin/", {}),
        "admin article change": (
            signed_in(chief),
            reverse("admin:articles_article_change", args=[review.round.article_id]),
            {},
        ),
        "review desk page": (
            signed_in(member),
            reverse("admin:editorial_reviewassignment_change", args=[review.pk]),
            {},
        ),
        "API (JSON)": (signed_in(editor), "/api/v1/articles/", {"HTTP_ACCEPT": "application/json"}),
        "browsable API": (signed_in(editor), "/api/v1/articles/phesgo/", {"HTTP_ACCEPT": "text/html"}),
        "browsable API sign-in": (anonymous, "/api-auth/login/", {}),
        "public list": (anonymous, "/api/v1/public/articles/", {}),
        "public article (404)": (anonymous, "/api/v1/public/articles/phesgo/", {}),
        "API docs": (anonymous, "/api/docs/", {}),
        "API docs start-up script": (anonymous, "/api/docs/?script=", {}),
        "schema": (anonymous, "/api/schema/", {}),
        "not found": (anonymous, "/no-such-page/", {}),
    }


PAGE_NAMES = [
    "admin login",
    "admin index",
    "admin article change",
    "review desk page",
    "API (JSON)",
    "browsable API",
    "browsable API sign-in",
    "public list",
    "public article (404)",
    "API docs",
    "API docs start-up script",
    "schema",
    "not found",
]


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_every_response_carries_the_policy(pages, name):
    client, path, headers = pages[name]
    response = client.get(path, **headers)
    assert response.status_code in {200, 404}, (name, response.status_code)
    assert without_nonce(policy_of(response)) == POLICY
    assert "unsafe" not in response.headers["Content-Security-Policy"]


HTML_PAGES = [
    "admin login",
    "admin index",
    "admin article change",
    "review desk page",
    "browsable API",
    "browsable API sign-in",
    "API docs",
]


@pytest.mark.parametrize("name", HTML_PAGES)
def test_no_inline_script_runs_without_the_responses_nonce(pages, name):
    client, path, headers = pages[name]
    response = client.get(path, **headers)
    assert response.status_code == 200
    html = response.content.decode()
    nonce = nonce_of(response)
    for tag in re.findall(r"<script\b[^>]*>", html):
        if "src=" in tag or 'type="application/json"' in tag:  # a file of this site, or data
            continue
        assert nonce and f'nonce="{nonce}"' in tag, f"{name}: inline script without the nonce: {tag}"
    for tag in re.findall(r"<style\b[^>]*>", html):
        assert nonce and f'nonce="{nonce}"' in tag, f"{name}: inline style without the nonce: {tag}"
    handlers = re.findall(r"<[^>]*\son[a-z]+\s*=[^>]*>", html)
    assert not handlers, f"{name}: inline event handlers: {handlers}"


@pytest.mark.parametrize("name", ["admin login", "admin index", "admin article change", "review desk page"])
def test_the_admin_uses_no_style_attributes(pages, name):
    client, path, headers = pages[name]
    html = client.get(path, **headers).content.decode()
    assert not re.findall(r"<[^>]*\sstyle\s*=[^>]*>", html)


def test_the_browsable_api_signs_out_without_inline_script(pages, editor):
    client, path, headers = pages["browsable API"]
    html = client.get(path, **headers).content.decode()
    assert 'id="sign-out"' in html
    response = client.post(f"{reverse('rest_framework:logout')}?next={path}")
    assert response.status_code in {200, 302}
    assert client.get("/api/v1/articles/", HTTP_ACCEPT="application/json").status_code == 401


def test_the_nonce_is_new_for_each_response(pages):
    client, path, headers = pages["API docs"]
    first, second = nonce_of(client.get(path, **headers)), nonce_of(client.get(path, **headers))
    assert first and second and first != second
