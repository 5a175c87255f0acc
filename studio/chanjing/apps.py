from __future__ import annotations

from django.apps import AppConfig


class ChanjingConfig(AppConfig):
    name = "studio.chanjing"
    label = "chanjing"
    verbose_name = "Chanjing provider"
