from __future__ import annotations

from django.apps import AppConfig


class GenerationsConfig(AppConfig):
    name = "studio.generations"
    label = "generations"

    def ready(self) -> None:
        from studio.generations import signals  # noqa: F401  (connects the receivers)
