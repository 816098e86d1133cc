from django.core.management.base import BaseCommand

from frontdesk.search.services import search_reindex


class Command(BaseCommand):
    help = "Rebuild the ticket search index in batches."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument(
            "--jobs",
            type=int,
            default=2,
            help="batches indexed at once on their own connections (PostgreSQL; default 2)",
        )

    def handle(self, *args: object, **options: int) -> None:
        def progress(done: int, total: int) -> None:
            self.stdout.write(f"indexed ids {done}/{total}")

        total = search_reindex(
            batch_size=options["batch_size"], progress=progress, jobs=max(1, options["jobs"])
        )
        self.stdout.write(self.style.SUCCESS(f"Search index rebuilt over {total} ticket ids."))
