from __future__ import annotations

import pytest

from tests.factories import EditorFactory, SpecialtyFactory


@pytest.fixture
def importer(db):
    return EditorFactory(username="importer")


@pytest.fixture
def cardiology(db):
    return SpecialtyFactory(name="Cardiology", slug="cardiology")


def line(slug: str, **changes) -> dict:
    """An import line for a new article in cardiology, drafted by a model."""
    return {
        "slug": slug,
        "title": f"What is {slug}?",
        "specialty": "cardiology",
        "risk_level": "standard",
        "body": f"**{slug}** is a drug.\r\n\r\nIt is taken daily. ",
        "change_summary": "Drafted",
        "references": [
            {
                "citation": "ESC Guidelines 2023",
                "source": "ESC",
                "year": 2023,
                "doi": "10.1093/eurheartj/ehad191",
            }
        ],
        "provenance": "ai_generated",
        "generator": "drafting-pipeline",
        "model_version": "model-2026-10",
        "source_reference": f"job-{slug}",
        **changes,
    }
