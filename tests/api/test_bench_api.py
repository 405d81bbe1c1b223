"""bench_api compares like with like: each plain view answers the same rows as its API endpoint,
and the whole measurement runs (gunicorn, the load generator) at a tiny N."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from bench.api import ENDPOINTS, run, serve
from bench.api_data import build
from tests.markers import IS_POSTGRES


@pytest.mark.django_db
@pytest.mark.urls("bench.api_urls")
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
def test_each_plain_view_answers_what_its_endpoint_answers(endpoint):
    world = build(articles=40)
    client = Client()
    if endpoint.who:
        username = {"editor": "bench-editor", "member": "bench-member"}[endpoint.who]
        client.force_login(get_user_model().objects.get(username=username))

    real = client.get(endpoint.path.format(slug=world.detail_slug))
    bare = client.get(endpoint.bare.format(slug=world.detail_slug))

    assert (real.status_code, bare.status_code) == (200, 200)
    real_body, bare_body = real.json(), bare.json()
    if "results" in real_body:
        assert real_body["results"] and real_body["results"] == bare_body["results"]
        assert bool(real_body["next"]) == bool(bare_body["next"])
    else:
        assert real_body == bare_body
    if endpoint.name == "public detail":
        assert real_body["badge"] == "approved" and real_body["reviewers"]


@pytest.mark.skipif(
    not IS_POSTGRES,
    reason="needs PostgreSQL: gunicorn serves the test database, which SQLite keeps in memory.",
)
@pytest.mark.django_db(transaction=True)  # the server reads what the test wrote
def test_the_benchmark_runs_under_gunicorn(tmp_path):
    world = build(articles=20)

    with serve(workers=1, threads=2, log=tmp_path / "gunicorn.log") as url:
        comparisons = run(
            base_url=url, world=world, endpoints=ENDPOINTS, concurrencies=[2], seconds=0.3, runs=1, warmup=0.1
        )

    assert [c.endpoint.name for c in comparisons] == [e.name for e in ENDPOINTS]
    for comparison in comparisons:
        for load in comparison.real + comparison.bare:
            assert (load.errors, load.requests > 0) == (0, True), comparison.endpoint.name
