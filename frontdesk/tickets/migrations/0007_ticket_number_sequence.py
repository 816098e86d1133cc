"""Ticket numbers from a PostgreSQL sequence instead of a locked counter row.

The counter row's lock lasted until commit, so every intake in flight queued behind the
one before it. A sequence hands out numbers without a lock (a rolled-back ticket leaves a
gap). It starts after the highest number in use. SQLite keeps the counter row: it lets
one writer in at a time anyway.
"""

from django.db import migrations

SEQUENCE = "tickets_ticket_number_seq"


def sequence_create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} AS bigint")
        cursor.execute(
            "SELECT GREATEST("
            " (SELECT COALESCE(MAX(number), 0) FROM tickets_ticket),"
            " (SELECT COALESCE(MAX(value), 0) FROM core_counter WHERE name = 'ticket_number'))"
        )
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT setval(%s, %s, false)", [SEQUENCE, highest + 1])


def sequence_drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        # Going back to the counter row: it must continue after the sequence.
        cursor.execute(
            "INSERT INTO core_counter (name, value) "
            "SELECT 'ticket_number', COALESCE(MAX(number), 0) FROM tickets_ticket "
            "ON CONFLICT (name) DO UPDATE SET value = GREATEST(core_counter.value, "
            "EXCLUDED.value)"
        )
        cursor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("tickets", "0006_ticket_reporting_indexes"),
    ]

    operations = [migrations.RunPython(sequence_create, sequence_drop)]
