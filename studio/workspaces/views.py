"""Team workspaces: create, rename, members and roles, leaving, and invitations by link."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from studio.accounts.models import User
from studio.lib.http import AuthedRequest
from studio.workspaces.access import (
    get_invitation_by_token,
    get_invitation_for_user,
    get_member_for_user,
    get_membership_for_user,
    membership_for,
    set_current_workspace,
)
from studio.workspaces.forms import InvitationForm, RoleForm, WorkspaceForm
from studio.workspaces.models import (
    Invitation,
    InvitationState,
    LastOwnerError,
    Membership,
    create_team_workspace,
)
from studio.workspaces.verification import email_proof, is_email_proven


@login_required
@require_POST
def switch(request: AuthedRequest) -> HttpResponse:
    membership = get_membership_for_user(request, request.POST.get("workspace", ""))
    set_current_workspace(request, membership.workspace)
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return HttpResponseRedirect(target)  # never redirect(): it would try the text as a URL name
    return redirect("generations:projects")


@login_required
@require_http_methods(["GET", "POST"])
def create(request: AuthedRequest) -> HttpResponse:
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        workspace = create_team_workspace(request.user, form.cleaned_data["name"])
        set_current_workspace(request, workspace)
        messages.success(
            request, _("Team “%(name)s” created. Invite people from this page.") % {"name": workspace}
        )
        return redirect("workspaces:members", code=workspace.code)
    return render(request, "workspaces/create.html", {"form": form})


@login_required
@require_GET
def members(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    membership = get_membership_for_user(request, code)
    # Opening a workspace's page makes it the current one, so the header never disagrees.
    set_current_workspace(request, membership.workspace)
    return _members_page(request, membership)


def _members_page(
    request: AuthedRequest,
    membership: Membership,
    *,
    invite_form: InvitationForm | None = None,
    rename_form: WorkspaceForm | None = None,
    status: int = 200,
) -> HttpResponse:
    workspace = membership.workspace
    members = list(workspace.memberships.select_related("user").order_by("user__username"))
    for member in members:
        member.manageable = member.pk != membership.pk and membership.may_manage(member)
    context = {
        "workspace": workspace,
        "membership": membership,
        "members": members,
        "role_form": RoleForm(actor=membership),
    }
    if membership.can_manage:
        context["invite_form"] = invite_form or InvitationForm(actor=membership)
        context["rename_form"] = rename_form or WorkspaceForm(instance=workspace)
        context["invitations"] = workspace.invitations.pending().select_related("created_by")
    return render(request, "workspaces/members.html", context, status=status)


@login_required
@require_POST
def rename(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    membership = get_membership_for_user(request, code, manage=True)
    form = WorkspaceForm(request.POST, instance=membership.workspace)
    if not form.is_valid():
        return _members_page(request, membership, rename_form=form, status=400)
    form.save()
    messages.success(request, _("Renamed."))
    return redirect("workspaces:members", code=code)


@login_required
@require_POST
def member_role(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    target, actor = get_member_for_user(request, code, manage=True)
    form = RoleForm(request.POST, actor=actor)
    if not form.is_valid() or not actor.may_manage(target, form.cleaned_data["role"]):
        raise PermissionDenied
    try:
        target.change_role(form.cleaned_data["role"])
    except LastOwnerError:
        messages.error(request, _("A team needs at least one owner: make someone else an owner first."))
    else:
        messages.success(
            request,
            _("%(user)s is now %(role)s.") % {"user": target.user, "role": target.get_role_display()},
        )
    return redirect("workspaces:members", code=target.workspace.code)


@login_required
@require_POST
def member_remove(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    target, actor = get_member_for_user(request, code, manage=True)
    if not actor.may_manage(target):
        raise PermissionDenied
    try:
        target.end()
    except LastOwnerError:
        messages.error(request, _("A team needs at least one owner: make someone else an owner first."))
    else:
        messages.success(
            request, _("%(user)s was removed. What they made stays here.") % {"user": target.user}
        )
    return redirect("workspaces:members", code=target.workspace.code)


@login_required
@require_POST
def leave(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    membership = get_membership_for_user(request, code)
    try:
        membership.end()
    except LastOwnerError:
        messages.error(request, _("You are the last owner: make someone else an owner before you leave."))
        return redirect("workspaces:members", code=code)
    messages.success(request, _("You left “%(name)s”.") % {"name": membership.workspace})
    return redirect("generations:projects")


@login_required
@require_POST
def invite(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    membership = get_membership_for_user(request, code, manage=True)
    if membership.workspace.is_personal:
        raise PermissionDenied  # a personal workspace stays personal; create a team to work together
    form = InvitationForm(request.POST, actor=membership)
    if not form.is_valid():
        return _members_page(request, membership, invite_form=form, status=400)
    invitation = form.save(commit=False)
    invitation.workspace, invitation.created_by = membership.workspace, request.user
    invitation.save()
    link = request.build_absolute_uri(reverse("workspaces:accept", args=[invitation.token]))
    if invitation.email:
        _send_invitation(request, invitation, link)
        messages.success(
            request,
            _("Invitation sent to %(email)s. You can also copy the link below.")
            % {"email": invitation.email},
        )
    else:
        messages.success(request, _("Invitation created: copy the link below and send it."))
    return redirect("workspaces:members", code=code)


def _send_invitation(request: AuthedRequest, invitation: Invitation, link: str) -> None:
    values = {
        "inviter": request.user.get_username(),
        "workspace": invitation.workspace.name,
        "role": invitation.get_role_display(),
        "link": link,
        "expires": invitation.expires_at.strftime("%Y-%m-%d"),
    }
    subject = _("%(inviter)s invited you to %(workspace)s on Seedance Studio") % values
    body = (
        _(
            "%(inviter)s invited you to join the team “%(workspace)s” on Seedance Studio as %(role)s.\n\n"
            "Open this link to accept (it works until %(expires)s):\n%(link)s\n\n"
            "If you were not expecting this, ignore this email."
        )
        % values
    )
    send_mail(subject, body, None, [invitation.email])


def _send_email_proof(request: AuthedRequest, invitation: Invitation) -> None:
    """Mail the invited address a link that lets this account accept: it proves the mailbox is theirs."""
    query = urlencode({"proof": email_proof(invitation, request.user)})
    link = request.build_absolute_uri(f"{reverse('workspaces:accept', args=[invitation.token])}?{query}")
    values = {"workspace": invitation.workspace.name, "link": link, "username": request.user.get_username()}
    subject = _("Confirm your email to join %(workspace)s on Seedance Studio") % values
    body = (
        _(
            "You, signed in as %(username)s, are accepting an invitation to the team “%(workspace)s” "
            "on Seedance Studio that was sent to this address.\n\n"
            "Open this link to confirm the address and join:\n%(link)s\n\n"
            "If this was not you, ignore this email: nobody joins without this link."
        )
        % values
    )
    send_mail(subject, body, None, [invitation.email])


@login_required
@require_POST
def invitation_revoke(request: AuthedRequest, code: uuid.UUID) -> HttpResponse:
    invitation, _membership = get_invitation_for_user(request, code, manage=True)
    invitation.revoke()
    messages.success(request, _("Invitation revoked: its link no longer works."))
    return redirect("workspaces:members", code=invitation.workspace.code)


@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, token: str) -> HttpResponse:
    """The page behind an invitation link. Signed-out visitors sign in or up and come back here."""
    invitation = get_invitation_by_token(token)
    if request.method == "POST" and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    context: dict[str, Any] = {"invitation": invitation, "state": invitation.state}
    if request.user.is_authenticated:
        context["already_member"] = membership_for(request.user, invitation.workspace) is not None
        context["meant_for_me"] = invitation.is_meant_for(request.user)
        # An invitation bound to an address needs proof that this account reads its mail.
        proof = request.POST.get("proof") or request.GET.get("proof", "")
        context["proof"] = proof if is_email_proven(invitation, request.user, proof) else ""
        context["needs_proof"] = bool(invitation.email) and not context["proof"]
    if request.method == "POST" and isinstance(request.user, User):
        pending_for_me = invitation.state == InvitationState.PENDING and context["meant_for_me"]
        if pending_for_me and context["needs_proof"] and not context["already_member"]:
            _send_email_proof(cast(AuthedRequest, request), invitation)
            context["proof_sent"] = True
            return render(request, "workspaces/accept.html", context)
        # Members open the workspace without using up an invitation meant for someone else.
        joined = context["already_member"] or (pending_for_me and invitation.accept(request.user) is not None)
        if joined:
            set_current_workspace(cast(AuthedRequest, request), invitation.workspace)
            messages.success(request, _("Welcome to “%(name)s”.") % {"name": invitation.workspace})
            return redirect("generations:projects")
        context["state"] = Invitation.objects.get(pk=invitation.pk).state
    return render(request, "workspaces/accept.html", context)
