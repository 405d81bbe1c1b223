"""What an operator's deployment serves: gunicorn from the Procfile, DEBUG off, after collectstatic."""

from __future__ import annotations

import gzip
import re


def stylesheets(html: str) -> list[str]:
    return re.findall(r'<link rel="stylesheet"[^>]* href="([^"]+)"', html)


def test_the_admin_is_styled_with_debug_off(production_server):
    response, body = production_server.get("/admin/login/")
    assert response.status == 200
    sheets = stylesheets(body.decode())
    base_css = next(url for url in sheets if "/admin/css/base." in url)
    # The name carries a hash of the content, so the file can be cached for good.
    assert re.fullmatch(r"/static/admin/css/base\.[0-9a-f]{12}\.css", base_css)

    response, css = production_server.get(base_css)
    assert response.status == 200
    assert response.getheader("Content-Type").startswith("text/css")
    cache_control = response.getheader("Cache-Control")
    assert "max-age=315360000" in cache_control
    assert "immutable" in cache_control
    assert css == (production_server.static_root / base_css.removeprefix("/static/")).read_bytes()


def test_static_files_go_out_compressed_to_a_browser_that_accepts_it(production_server):
    _, body = production_server.get("/admin/login/")
    base_css = next(url for url in stylesheets(body.decode()) if "/admin/css/base." in url)

    response, compressed = production_server.get(base_css, **{"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(compressed).startswith(b"/*")


def test_a_static_file_that_does_not_exist_is_404(production_server):
    response, _ = production_server.get("/static/admin/css/no-such-file.css")
    assert response.status == 404
