from django.core.management.base import BaseCommand

from frontdesk.search.services import search_reindex


class Command(BaseCommand):
    help = "Rebuild the ticket search index in batches."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args: object, **options: int) -> None:
        def progress(done: int, total: int) -> None:
            self.stdout.write(f"indexed ids {done}/{total}")

        total = search_reindex(batch_size=options["batch_size"], progress=progress)
        self.stdout.write(self.style.SUCCESS(f"Search index rebuilt over {total} ticket ids."))
