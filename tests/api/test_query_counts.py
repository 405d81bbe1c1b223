"""List endpoints cost the same number of queries for a page of 1 as for a page of 50."""

from __future__ import annotations

import pytest

from editorial import services
from tests.factories import ArticleFactory, BoardMemberFactory, EditorFactory, SpecialtyFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def approved_article(editor, member, specialty, index):
    article = ArticleFactory(slug=f"article-{index}", specialty=specialty, actor=editor)
    services.submit(actor=editor, article=article, reason="r")
    assignment = services.assign(actor=editor, article=article, reviewer=member, reason="r")
    services.decide(actor=member.user, assignment=assignment, decision="approve")
    return article


@pytest.fixture
def build():
    """build(n) makes n of everything the list endpoints list."""

    def make(n):
        specialty = SpecialtyFactory(slug="oncology")
        editor = EditorFactory()
        member = BoardMemberFactory(specialties=[specialty], max_open_reviews=100)
        articles = [approved_article(editor, member, specialty, index) for index in range(n)]
        first = articles[0]
        for number in range(n - 1):  # a round per revision, each with its reviewer, then withdrawn
            services.add_version(
                actor=editor, article=first, title="T", body=f"Revision {number}", reason="r"
            )
            services.submit(actor=editor, article=first, reason="r")
            services.assign(actor=editor, article=first, reviewer=member, reason="r")
            services.withdraw(actor=editor, article=first, reason="r")
        for _ in range(n - 1):
            BoardMemberFactory(specialties=[specialty])
        return editor, member, first

    return make


# (name, path, who asks, queries: the page count (none for a list paged by cursor) and the page,
# plus prefetches and lookups)
ENDPOINTS = [
    ("articles", "/api/v1/articles/?page_size=50", "editor", 1),
    ("versions", "/api/v1/articles/{slug}/versions/?page_size=50", "editor", 3),
    ("history", "/api/v1/articles/{slug}/history/?page_size=50", "editor", 3),
    ("rounds", "/api/v1/articles/{slug}/rounds/?page_size=50", "editor", 4),
    ("assignments (editor)", "/api/v1/assignments/?page_size=50", "editor", 1),
    ("assignments (member)", "/api/v1/assignments/?page_size=50", "member", 1),
    ("board members", "/api/v1/board-members/?page_size=50", "editor", 3),
    ("public articles", "/api/v1/public/articles/?page_size=50", None, 1),
]


@pytest.mark.parametrize("size", [1, 50])
@pytest.mark.parametrize(("name", "path", "who", "queries"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_list_queries_do_not_grow_with_the_page(
    build, django_assert_max_num_queries, size, name, path, who, queries
):
    editor, member, first = build(size)
    user = {"editor": editor, "member": member.user, None: None}[who]
    client = client_for(user)

    with django_assert_max_num_queries(queries):
        response = client.get(path.format(slug=first.slug))

    assert response.status_code == 200
    assert len(response.data["results"]) >= size
