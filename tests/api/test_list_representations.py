"""The long lists' serializers write their rows by hand for speed (bench_api); each must write
exactly what its declared fields would, key for key and in order, so that the schema describes
it."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from rest_framework import serializers
from rest_framework.request import Request

from articles import selectors as article_selectors
from articles.api.serializers import ArticleDetailSerializer, ArticleSerializer, VersionSerializer
from articles.models import ArticleVersion
from editorial import selectors, services
from editorial.api.serializers import AssignmentListSerializer
from editorial.public.selectors import public_articles, public_page
from editorial.public.serializers import PublicArticleListSerializer, PublicArticleSerializer
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def declared(serializer, instance):
    """What DRF writes from the declared fields."""
    return serializers.Serializer.to_representation(serializer, instance)


@pytest.fixture
def catalogue(world, settings):
    """Articles in every shape the lists show: approved, in review, draft, decided against."""
    settings.PUBLIC_SHOW_UNREVIEWED = True
    member = world.members[0]
    approved = ArticleFactory(slug="approved", specialty=world.article.specialty, actor=world.editor)
    services.submit(actor=world.editor, article=approved, reason="r")
    decided = services.assign(actor=world.editor, article=approved, reviewer=member, reason="r")
    services.decide(actor=member.user, assignment=decided, decision="approve")
    services.submit(actor=world.editor, article=world.article, reason="r")
    services.assign(actor=world.editor, article=world.article, reviewer=member, reason="r")
    ArticleFactory(slug="draft", specialty=world.article.specialty, actor=world.editor)
    return world


def test_an_articles_row_is_its_declared_fields(catalogue):
    request = Request(RequestFactory().get("/"))
    request.user = catalogue.editor
    rows = list(article_selectors.article_list())
    assert len(rows) == 3
    for row in rows:
        for serializer in (
            ArticleSerializer(context={"request": request}),
            ArticleDetailSerializer(context={"request": request}),
        ):
            assert serializer.to_representation(row) == declared(serializer, row)
            assert list(serializer.to_representation(row)) == list(serializer.fields)


def test_an_assignments_row_is_its_declared_fields(catalogue):
    rows = list(selectors.assignments_visible_to(catalogue.editor))
    assert {row.state for row in rows} == {"completed", "pending"}
    for row in rows:
        serializer = AssignmentListSerializer()
        assert serializer.to_representation(row) == declared(serializer, row)
        assert list(serializer.to_representation(row)) == list(serializer.fields)


def test_a_public_row_is_its_declared_fields(catalogue):
    rows = list(public_articles())
    assert {row.slug for row in rows} == {"approved", "phesgo", "draft"}
    for row in rows:
        serializer = PublicArticleListSerializer()
        assert serializer.to_representation(row) == declared(serializer, row)
        assert list(serializer.to_representation(row)) == list(serializer.fields)


def test_a_versions_row_is_its_declared_fields(catalogue):
    for version in ArticleVersion.objects.select_related("author"):
        serializer = VersionSerializer()
        assert serializer.to_representation(version) == declared(serializer, version)
        assert list(serializer.to_representation(version)) == list(serializer.fields)


def test_a_public_page_is_its_declared_fields(catalogue):
    for slug in ("approved", "phesgo", "draft"):
        page = public_page(slug)
        serializer = PublicArticleSerializer()
        assert serializer.to_representation(page) == declared(serializer, page)
        assert list(serializer.to_representation(page)) == list(serializer.fields)
