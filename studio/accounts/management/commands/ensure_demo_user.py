from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from studio.accounts.models import User


class Command(BaseCommand):
    help = "Create the demo account (idempotent) and print how to sign in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", default="seedance-demo")

    def handle(self, *args: Any, username: str, password: str, **options: Any) -> None:
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.com"}
        )
        if created:
            user.set_password(password)
            user.is_staff = True
            user.is_superuser = True
            user.save()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo account: username {username!r}, password {password!r} "
                f"({'created' if created else 'already existed'}; it is also an admin for /admin/)"
            )
        )
