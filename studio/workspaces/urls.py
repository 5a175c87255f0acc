from __future__ import annotations

from django.urls import path

from studio.workspaces import views

app_name = "workspaces"

urlpatterns = [
    path("switch", views.switch, name="switch"),
    path("new", views.create, name="create"),
    path("<uuid:code>/", views.members, name="members"),
    path("<uuid:code>/rename", views.rename, name="rename"),
    path("<uuid:code>/leave", views.leave, name="leave"),
    path("<uuid:code>/invitations", views.invite, name="invite"),
    path("members/<uuid:code>/role", views.member_role, name="member_role"),
    path("members/<uuid:code>/remove", views.member_remove, name="member_remove"),
    path("invitations/<uuid:code>/revoke", views.invitation_revoke, name="invitation_revoke"),
    path("join/<slug:token>/", views.accept, name="accept"),
]
