"""The picture of the state machine in docs/ is drawn from the code; this keeps them in step."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django_fsm.management.commands.graph_transitions import generate_dot, one_fsm_fields_data

from articles.models import Article

EDGE = re.compile(r'"articles\.article\.status\.(\w+)" -> "articles\.article\.status\.(\w+)" \[label=(\w+)\]')


def edges(dot_source: str) -> set[tuple[str, str, str]]:
    return set(EDGE.findall(dot_source))


def test_the_documented_state_machine_matches_the_transitions():
    documented = (Path(settings.BASE_DIR) / "docs" / "state-machine.gv").read_text()
    current = generate_dot([one_fsm_fields_data(Article, "status")]).source
    assert edges(current), "no transitions found: has the graph format changed?"
    assert edges(documented) == edges(current), "run `make state-machine` and commit docs/"


def test_the_picture_shows_the_table_of_design_section_4():
    current = edges(generate_dot([one_fsm_fields_data(Article, "status")]).source)
    expected = {
        ("draft", "submitted", "submit"),
        ("changes_requested", "submitted", "submit"),
        ("expired", "submitted", "submit"),
        ("approved", "submitted", "submit"),
        ("submitted", "under_review", "start_review"),
        ("under_review", "approved", "approve"),
        ("under_review", "changes_requested", "request_changes"),
        ("submitted", "draft", "withdraw"),
        ("under_review", "draft", "withdraw"),
        ("approved", "expired", "expire"),
        ("retired", "draft", "restore"),
        # An article with an approved text comes back without its badge, to a re-review.
        ("retired", "expired", "restore"),
    }
    assert expected <= current
    retire_sources = {source for source, target, name in current if name == "retire"}
    assert retire_sources == {
        "draft",
        "submitted",
        "under_review",
        "changes_requested",
        "approved",
        "expired",
    }
