"""Revoking live sockets when the access they were opened with ends.

Each receiver only says whose sockets must re-check (a person's, or one sign-in's), once the
change commits; the sockets read their access afresh and close (gateways.consumers).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.contrib.sessions.models import Session
from django.db.models.signals import post_delete, post_save, pre_save
from django.http import HttpRequest

from gateways.models import Membership
from ttportal.realtime import revoke_on_commit, session_group, user_group


def membership_ends(sender: Any, instance: Membership, **kwargs: Any) -> None:
    revoke_on_commit(user_group(instance.user_id))


def membership_moves(sender: Any, instance: Membership, **kwargs: Any) -> None:
    """A membership moved to another site, or handed to another person, before it is saved:
    the person who had it re-checks (the row still says who that was)."""
    if instance.pk is None:
        return
    previous = Membership.objects.filter(pk=instance.pk).values("user_id", "site_id").first()
    if previous and (previous["user_id"], previous["site_id"]) != (
        instance.user_id,
        instance.site_id,
    ):
        revoke_on_commit(user_group(previous["user_id"]))


def person_changes(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """Deactivated, no longer a superuser, a new password: the sockets re-check. A sign-in's
    own bookkeeping (``last_login``) changes nothing a socket depends on."""
    update_fields = kwargs.get("update_fields")
    if created or (update_fields is not None and set(update_fields) == {"last_login"}):
        return
    revoke_on_commit(user_group(instance.pk))


def person_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    revoke_on_commit(user_group(instance.pk))


def session_ends(sender: Any, instance: Session, **kwargs: Any) -> None:
    """Flushed, deleted in the admin, expired and cleared: the sockets of that sign-in close."""
    revoke_on_commit(session_group(instance.session_key))


def signed_out(sender: Any, request: HttpRequest, **kwargs: Any) -> None:
    """Sent before the session is flushed: the message itself says the sign-in is over."""
    session_key = request.session.session_key
    if session_key:
        revoke_on_commit(session_group(session_key), signed_out=True)


def connect() -> None:
    """Called from the app's ``ready``; the uids keep a second call from doubling them."""
    people = get_user_model()
    post_delete.connect(membership_ends, sender=Membership, dispatch_uid="revoke.membership_del")
    pre_save.connect(membership_moves, sender=Membership, dispatch_uid="revoke.membership_move")
    post_save.connect(person_changes, sender=people, dispatch_uid="revoke.person_changes")
    post_delete.connect(person_deleted, sender=people, dispatch_uid="revoke.person_deleted")
    post_delete.connect(session_ends, sender=Session, dispatch_uid="revoke.session_ends")
    user_logged_out.connect(signed_out, dispatch_uid="revoke.signed_out")
