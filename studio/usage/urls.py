"""Mounted under /admin/ beside the admin site: staff only, like the admin itself."""

from __future__ import annotations

from django.urls import path

from studio.usage import views

app_name = "usage"

urlpatterns = [
    path("usage/review/", views.usage_review, name="review"),
    path("usage/review.csv", views.usage_review_csv, name="review_csv"),
    path("status/", views.status_page, name="status"),
]
