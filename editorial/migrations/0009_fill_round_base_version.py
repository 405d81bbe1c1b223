"""Fills ReviewRound.base_version for the rounds opened before it was recorded: the version the
article had published when the round opened, read from the article's history (the last historical
row at or before ``opened_at``). A round with no such history row keeps no base, except a
re-review, whose base is by definition the approved text it reviews again.

The base is a fact of the round from the moment it opened, not a change made now: the round's own
historical rows get the same value, and no new historical row is written."""

from django.db import migrations
from django.db.models import F, OuterRef, Subquery


def fill_base_versions(apps, schema_editor):
    ReviewRound = apps.get_model("editorial", "ReviewRound")
    HistoricalReviewRound = apps.get_model("editorial", "HistoricalReviewRound")
    HistoricalArticle = apps.get_model("articles", "HistoricalArticle")

    published_when_opened = Subquery(
        HistoricalArticle.objects.filter(id=OuterRef("article_id"), history_date__lte=OuterRef("opened_at"))
        .order_by("-history_date", "-history_id")
        .values("published_version_id")[:1]
    )
    ReviewRound.objects.filter(base_version__isnull=True).update(base_version_id=published_when_opened)
    ReviewRound.objects.filter(base_version__isnull=True, trigger="re_review").update(
        base_version_id=F("version_id")
    )
    HistoricalReviewRound.objects.filter(base_version__isnull=True).update(
        base_version_id=Subquery(ReviewRound.objects.filter(pk=OuterRef("id")).values("base_version_id")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0004_text_is_markdown_not_html"),
        ("editorial", "0008_round_base_version"),
    ]

    operations = [migrations.RunPython(fill_base_versions, migrations.RunPython.noop, elidable=False)]
