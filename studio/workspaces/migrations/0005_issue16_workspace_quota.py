"""The workspace quota moves from the usage app to the workspaces app; its table stays put."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("workspaces", "0004_membership_code_unique"),
        ("usage", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="WorkspaceQuota",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("monthly_seconds", models.PositiveIntegerField(help_text="Seconds of video the whole workspace may generate a month.", verbose_name="seconds per month")),
                        ("per_member_monthly_seconds", models.PositiveIntegerField(blank=True, help_text="Optional cap for each member; empty means members share the workspace's seconds.", null=True, verbose_name="seconds per member per month")),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("workspace", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="quota", to="workspaces.workspace")),
                    ],
                    options={
                        "verbose_name": "workspace quota",
                        "verbose_name_plural": "workspace quotas",
                        "db_table": "usage_workspacequota",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
