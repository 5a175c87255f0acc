from __future__ import annotations

from django.urls import path, re_path

from studio.sandbox import views

app_name = "sandbox"

urlpatterns = [
    path("", views.index, name="index"),
    path("open/v1/access_token", views.access_token, name="access_token"),
    path("open/v1/ai_creation/task/submit", views.task_submit, name="task_submit"),
    path("open/v1/ai_creation/task", views.task_detail, name="task_detail"),
    path("open/v1/ai_creation/task/page", views.task_page, name="task_page"),
    path("open/v1/common/create_upload_url", views.create_upload_url, name="create_upload_url"),
    path("open/v1/common/file_detail", views.file_detail, name="file_detail"),
    path("upload/<str:file_id>", views.upload, name="upload"),
    path("files/<str:file_id>/<str:name>", views.uploaded_file, name="file"),
    re_path(r"^outputs/(?P<unique_id>[0-9a-f-]{36})\.(?P<ext>mp4|jpg)$", views.output, name="output"),
]
