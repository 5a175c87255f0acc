"""Proof that the person accepting an invitation bound to an email address reads that mailbox.

Anyone can sign up with any address, so matching the account's email is not enough. Accepting
such an invitation sends a confirmation link to the invited address; the link carries a proof
(a timestamp and an HMAC over the invitation, the account and the address, never an id) that
only this account can use, for as long as the invitation lives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core import signing

from studio.workspaces.models import INVITATION_LIFETIME

if TYPE_CHECKING:
    from studio.accounts.models import User
    from studio.workspaces.models import Invitation

_signer = signing.TimestampSigner(salt="studio.workspaces.invitation-email")


def _subject(invitation: Invitation, user: User) -> str:
    return f"{invitation.code}:{user.pk}:{invitation.email.casefold()}"


def email_proof(invitation: Invitation, user: User) -> str:
    """The proof to put in the confirmation link: "timestamp:signature", nothing readable."""
    subject = _subject(invitation, user)
    return _signer.sign(subject)[len(subject) + 1 :]


def is_email_proven(invitation: Invitation, user: User, proof: str) -> bool:
    if not proof or not invitation.email:
        return False
    try:
        _signer.unsign(f"{_subject(invitation, user)}:{proof}", max_age=INVITATION_LIFETIME)
    except signing.BadSignature:
        return False
    return True
