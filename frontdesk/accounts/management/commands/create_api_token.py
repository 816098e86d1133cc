from django.core.management.base import BaseCommand, CommandError

from frontdesk.accounts.models import User
from frontdesk.accounts.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print it (it is stored hashed, shown once)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="cli")

    def handle(self, *args: object, **options: str) -> None:
        user = User.objects.filter(email__iexact=options["email"]).first()
        if user is None:
            raise CommandError(f"No user with email {options['email']}")
        _token, key = api_token_create(user=user, name=options["name"])
        self.stdout.write(key)
