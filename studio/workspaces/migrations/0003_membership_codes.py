import uuid

from django.db import migrations, models


def give_each_membership_a_code(apps, schema_editor):
    # A unique column cannot be added with one shared default: existing rows get their own uuid first.
    Membership = apps.get_model("workspaces", "Membership")
    for membership in Membership.objects.filter(code__isnull=True).only("pk"):
        membership.code = uuid.uuid4()
        membership.save(update_fields=["code"])


class Migration(migrations.Migration):
    # Data and schema changes in separate migrations, as PostgreSQL prefers.

    dependencies = [
        ("workspaces", "0002_teams"),
    ]

    operations = [
        migrations.RunPython(give_each_membership_a_code, migrations.RunPython.noop),
    ]
