"""The admin refuses the NUL character in every changelist filter, search box and autocomplete
with a 400, for every registered model (on PostgreSQL these were 500s: the admin passes filter
values and search terms straight to the database)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin import FieldListFilter
from django.contrib.admin.utils import get_fields_from_path
from django.test import Client, RequestFactory
from django.urls import resolve, reverse

from tests.factories import ChiefFactory

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
IDS = [model._meta.label for model, _ in REGISTERED]


@pytest.fixture
def chief():
    return ChiefFactory(is_superuser=False)


@pytest.fixture
def client(chief):
    client = Client()
    client.force_login(chief)
    return client


def changelist_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def filter_parameters(model_admin, chief) -> set[str]:
    """The query parameters of every filter the changelist can offer this user (a superuser's set
    for the models an editor-in-chief may not see), whether or not there is data to filter yet."""
    url = changelist_url(model_admin.model)
    request = RequestFactory().get(url)
    request.resolver_match = resolve(url)
    request.user = chief if model_admin.has_view_permission(_as(chief)) else _superuser()
    names = set()
    for item in model_admin.get_list_filter(request):
        if isinstance(item, str):
            field = get_fields_from_path(model_admin.model, item)[-1]
            spec = FieldListFilter.create(field, request, {}, model_admin.model, model_admin, item)
        else:
            spec = item(request, {}, model_admin.model, model_admin)
        names |= set(spec.expected_parameters())
    return names


def _as(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def _superuser():
    return ChiefFactory(username="root", is_superuser=True)


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=IDS)
def test_every_filter_and_the_search_box_refuse_nul(client, chief, model, model_admin):
    parameters = filter_parameters(model_admin, chief)
    if model_admin.get_search_fields(_as(chief)):
        parameters.add("q")

    for name in sorted(parameters):
        response = client.get(changelist_url(model), {name: "a\x00b"})
        assert response.status_code == 400, (name, response.status_code)


def test_the_filters_tested_include_the_reviews_and_articles():
    chief = ChiefFactory()
    names = {model._meta.label: filter_parameters(model_admin, chief) for model, model_admin in REGISTERED}
    assert {"status__exact", "risk_level__exact", "specialty__id__exact"} <= names["articles.Article"]
    assert {"show", "reviewer__id__exact"} <= names["editorial.ReviewAssignment"]


def autocomplete_fields():
    """(source model, field) for every autocomplete widget: on the admins and on their inlines."""
    for model, model_admin in REGISTERED:
        for field in model_admin.autocomplete_fields:
            yield model, field
        for inline in model_admin.inlines:
            for field in inline.autocomplete_fields:
                yield inline.model, field


AUTOCOMPLETE = sorted({(model._meta.label, field) for model, field in autocomplete_fields()})


def test_there_are_autocompletes_to_test():
    assert ("reviewers.ConflictOfInterest", "article") in AUTOCOMPLETE


@pytest.mark.parametrize(("label", "field"), AUTOCOMPLETE)
def test_every_autocomplete_refuses_nul(client, label, field):
    app_label, model_name = label.lower().split(".")
    query = {"app_label": app_label, "model_name": model_name, "field_name": field}

    assert client.get(reverse("admin:autocomplete"), {**query, "term": "onc"}).status_code == 200
    assert client.get(reverse("admin:autocomplete"), {**query, "term": "a\x00b"}).status_code == 400
    assert client.get(reverse("admin:autocomplete"), {**query, "field_name": "a\x00b"}).status_code == 400
