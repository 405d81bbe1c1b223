"""manage.py import_articles FILE: NDJSON and JSON arrays, the report, the exit status, progress
on a stream that is not a terminal."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from articles.models import Article, ArticleVersion
from tests.factories import BoardMemberFactory
from tests.imports.conftest import line

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_articles", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_an_ndjson_file_is_imported_and_again_writes_nothing(importer, cardiology, tmp_path):
    path = tmp_path / "drafts.ndjson"
    path.write_text("\n".join(json.dumps(line(f"drug-{n}")) for n in range(5)) + "\n\n", encoding="utf-8")

    out, err = run(str(path), "--user", "importer", "--batch-size", "2")
    again, _ = run(str(path), "--user", "importer", "--reason", "Second run")

    assert out.strip() == "5 created, 0 new_version, 0 unchanged, 0 refused, 0 not_written"
    assert again.strip() == "0 created, 0 new_version, 5 unchanged, 0 refused, 0 not_written"
    # Not a terminal: one progress line per batch, no carriage returns.
    assert "\\r" not in err
    assert err.splitlines()[-1].startswith("[##############################] 5/5 lines")
    assert ArticleVersion.objects.count() == 5
    assert set(Article.history.values_list("history_user_id", "history_change_reason")) == {
        (importer.pk, "Bulk import")
    }


def test_a_json_array_file_is_imported(importer, cardiology, tmp_path):
    path = tmp_path / "drafts.json"
    path.write_text(json.dumps([line("a"), line("b")], indent=2), encoding="utf-8")

    out, _ = run(str(path), "--user", "importer")

    assert out.strip() == "2 created, 0 new_version, 0 unchanged, 0 refused, 0 not_written"


def test_refused_lines_are_printed_reported_and_make_the_exit_status_1(importer, cardiology, tmp_path):
    path = tmp_path / "drafts.ndjson"
    rows = [
        json.dumps(line("a")),
        "{oops",
        json.dumps(line("c", specialty="astrology")),
        json.dumps(line("d")),
    ]
    path.write_text("\n".join(rows), encoding="utf-8")
    report = tmp_path / "report.ndjson"

    with pytest.raises(CommandError, match="3 lines were not imported") as raised:
        run(str(path), "--user", "importer", "--batch-size", "3", "--report", str(report))

    assert raised.value.returncode == 1
    results = [json.loads(row) for row in report.read_text(encoding="utf-8").splitlines()]
    assert [(r["line"], r["result"]) for r in results] == [
        (1, "not_written"),
        (2, "refused"),
        (3, "refused"),
        (4, "created"),
    ]
    assert results[1]["fields"]["non_field_errors"][0].startswith("Not JSON:")
    assert list(Article.objects.values_list("slug", flat=True)) == ["d"]


def test_only_an_editor_may_import(cardiology, tmp_path):
    member = BoardMemberFactory(specialties=[cardiology])
    path = tmp_path / "drafts.ndjson"
    path.write_text(json.dumps(line("a")), encoding="utf-8")

    with pytest.raises(CommandError, match="Only editors"):
        run(str(path), "--user", member.user.username)
    assert not Article.objects.exists()
