from __future__ import annotations

from types import SimpleNamespace

import pytest

from editorial import services
from editorial.comments import services as comment_services
from editorial.comments.text import plain_text
from tests.factories import ArticleFactory, BoardMemberFactory, ChiefFactory, EditorFactory

# Clinical text with what a reviewer quotes: Greek letters, ≥, an en dash, Markdown emphasis and a
# list (the plain text is the rendered text, so the asterisks are not in it).
BODY = """\
## Short answer

Start a **β-blocker** after a myocardial infarction unless it is contraindicated [1].

## Targets

- Aim for HbA1c below 53 mmol/mol; treat when it is ≥ 48 mmol/mol on two readings.
- Check potassium 1–2 weeks after starting an ACE inhibitor.
- HER2-targeted drugs can weaken the heart. Monitor cardiac function during treatment.
"""

PASSAGE = "HER2-targeted drugs can weaken the heart."


def comment_on(assignment, exact, body="Say which monitoring, and how often.", occurrence=0, **kwargs):
    """The reviewer's comment on the ``occurrence``-th appearance of ``exact`` in the version
    they review, selected as the review page's script selects it."""
    version = assignment.round.version
    text = plain_text(version)
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(exact, start + 1)
    return comment_services.comment_create(
        actor=assignment.reviewer.user,
        version=version,
        body=body,
        exact=exact,
        start=start,
        end=start + len(exact),
        **kwargs,
    )


@pytest.fixture
def review(db, oncology):
    """An oncology article's version 1 in review by two members (``mine`` and ``theirs``), an
    editor and an editor-in-chief."""
    editor = EditorFactory(username="editor")
    article = ArticleFactory(slug="cardio-onc", specialty=oncology, actor=editor, body=BODY)
    member, other = BoardMemberFactory(specialties=[oncology]), BoardMemberFactory(specialties=[oncology])
    services.submit(actor=editor, article=article, reason="Ready")
    mine = services.assign(actor=editor, article=article, reviewer=member, reason="r")
    theirs = services.assign(actor=editor, article=article, reviewer=other, reason="r")
    return SimpleNamespace(
        editor=editor,
        chief=ChiefFactory(username="chief"),
        article=article,
        version=mine.round.version,
        mine=mine,
        theirs=theirs,
        member=member,
        other=other,
    )


def next_round(review, body, actor=None):
    """The editor writes the next version with ``body`` and submits it (the comments are carried
    to it); returns the new round."""
    actor = actor or review.editor
    services.add_version(actor=actor, article=review.article, title="Revised", body=body, reason="Revision")
    return services.submit(actor=actor, article=review.article, reason="Revision ready")
