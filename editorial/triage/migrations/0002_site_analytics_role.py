"""The ``site_analytics`` role: the group a service account holds to send page views, and nothing
else (editorial/triage/permissions.py)."""

from django.db import migrations

ROLE = "site_analytics"


def create_role(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=ROLE)


def remove_role(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=ROLE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("editorial_triage", "0001_page_views"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_role, remove_role)]
