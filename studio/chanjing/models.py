"""What the Chanjing client keeps in the database: the shared token, the rate-limit slot and
the call journal. Nothing here refers to the studio's own models."""

from __future__ import annotations

from django.db import models


class ProviderToken(models.Model):
    """The one access token of the deployment for a base URL and app id.

    Issuing a token invalidates the previous one, so every process must share this row, and
    only the holder of its refresh lease may fetch a new one (see tokens.DatabaseTokenStore).
    """

    base_url = models.CharField(max_length=200)
    app_id = models.CharField(max_length=200)
    token = models.TextField(blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)
    # Set while one process fetches a new token, so the others wait instead of fetching too.
    refresh_lease_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["base_url", "app_id"], name="chanjing_token_one_per_account"),
        ]

    def __str__(self) -> str:
        return f"Token for {self.app_id} at {self.base_url}"


class ProviderRateSlot(models.Model):
    """The next moment (Unix seconds) at which some process of the deployment may call Chanjing."""

    key = models.CharField(max_length=200, unique=True)
    next_free_at = models.FloatField(default=0)

    def __str__(self) -> str:
        return f"Rate slot {self.key}"


class ProviderCall(models.Model):
    """One HTTP attempt to Chanjing: outcome, latency and the trace_id support asks for."""

    endpoint = models.CharField(max_length=200)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    code = models.IntegerField(null=True, blank=True)
    msg = models.TextField(blank=True, default="")
    trace_id = models.CharField(max_length=100, blank=True, default="")
    latency_ms = models.PositiveIntegerField(default=0)
    ok = models.BooleanField(default=False)
    attempt = models.PositiveSmallIntegerField(default=1)
    # The generation the call served, by its public code; not a foreign key on purpose: the
    # client knows nothing of the studio's models.
    generation_code = models.UUIDField(null=True, blank=True)
    process = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The admin's default listing and date_hierarchy.
            models.Index(fields=["-created_at"], name="chanjing_call_created"),
            # The admin search, and a generation's page listing the calls that served it.
            models.Index(
                fields=["generation_code", "-created_at"],
                name="chanjing_call_generation",
                condition=models.Q(generation_code__isnull=False),
            ),
            # Support quotes a trace_id; the admin search finds the call.
            models.Index(fields=["trace_id"], name="chanjing_call_trace"),
        ]

    def __str__(self) -> str:
        outcome = "ok" if self.ok else f"code {self.code}" if self.code is not None else "failed"
        return f"{self.endpoint} {outcome} ({self.trace_id or 'no trace'})"
