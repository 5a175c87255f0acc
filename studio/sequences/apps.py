from __future__ import annotations

from django.apps import AppConfig


class SequencesConfig(AppConfig):
    name = "studio.sequences"
    label = "sequences"
