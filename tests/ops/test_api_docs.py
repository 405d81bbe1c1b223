"""/api/docs/ works without internet: Swagger UI comes from our own static files, served by the
production-like server (gunicorn, DEBUG off, after collectstatic)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit


def references(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]*)"', html)


def test_the_docs_page_refers_to_this_site_only(production_server):
    response, body = production_server.get("/api/docs/")
    assert response.status == 200
    html = body.decode()
    assert not re.search(r"https?://", html), "the page names another host"
    urls = references(html)
    assert len(urls) >= 4  # favicon, stylesheet, Swagger UI's two scripts, the start-up script
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and url.startswith("/"), url


def test_every_file_the_docs_page_loads_is_served(production_server):
    _, body = production_server.get("/api/docs/")
    types = {}
    for url in references(body.decode().replace("&amp;", "&")):
        response, content = production_server.get(url)
        assert response.status == 200, url
        assert content, url
        types[url] = response.getheader("Content-Type")
    assert any(url.startswith("/static/drf_spectacular_sidecar/swagger-ui-dist/") for url in types)
    assert sum(kind.startswith("text/javascript") or "javascript" in kind for kind in types.values()) == 3
    assert any(kind.startswith("text/css") for kind in types.values())


def test_the_start_up_script_points_at_our_schema_and_no_online_validator(production_server):
    response, script = production_server.get("/api/docs/?script=")
    assert response.status == 200
    assert "javascript" in response.getheader("Content-Type")
    text = script.decode()
    assert 'url: "/api/schema/"' in text
    assert '"validatorUrl": null' in text
    response, schema = production_server.get("/api/schema/")
    assert response.status == 200
    assert b"Editorial review API" in schema
