"""The settings helpers: each reads one variable and fails loudly on a bad value."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from studio.env import env_float, env_int


def test_env_int_reads_a_whole_number(monkeypatch):
    monkeypatch.setenv("STUDIO_TEST_NUMBER", "42")
    value = env_int("STUDIO_TEST_NUMBER", 7)
    assert value == 42 and type(value) is int


def test_env_int_refuses_a_fraction(monkeypatch):
    monkeypatch.setenv("STUDIO_TEST_NUMBER", "4.5")
    with pytest.raises(ImproperlyConfigured, match="STUDIO_TEST_NUMBER must be an integer"):
        env_int("STUDIO_TEST_NUMBER", 7)


def test_env_int_falls_back_when_unset_or_empty(monkeypatch):
    monkeypatch.delenv("STUDIO_TEST_NUMBER", raising=False)
    assert env_int("STUDIO_TEST_NUMBER", 7) == 7
    monkeypatch.setenv("STUDIO_TEST_NUMBER", " ")
    assert env_int("STUDIO_TEST_NUMBER", 7) == 7


def test_env_float_reads_a_fraction(monkeypatch):
    monkeypatch.setenv("STUDIO_TEST_NUMBER", "0.25")
    assert env_float("STUDIO_TEST_NUMBER", 1.0) == 0.25
