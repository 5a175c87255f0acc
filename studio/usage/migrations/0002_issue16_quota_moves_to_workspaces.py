"""The workspace quota now belongs to the workspaces app (see its 0005); the table is kept."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("usage", "0001_initial"),
        ("workspaces", "0005_issue16_workspace_quota"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="WorkspaceQuota")],
            database_operations=[],
        ),
    ]
