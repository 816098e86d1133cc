"""Create the ticket search index for whichever database this is (raw SQL, per vendor)."""

from django.db import migrations

SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_ticket_fts USING fts5("
    "subject, people, body, tokenize = 'porter unicode61 remove_diacritics 2')",
]
SQLITE_REVERSE = ["DROP TABLE IF EXISTS search_ticket_fts"]
POSTGRES = [
    "CREATE TABLE IF NOT EXISTS search_ticket_doc ("
    # No foreign key: the index is derived data, rebuilt at will, and a key would stop
    # TRUNCATE of the tickets table; searches join tickets, so a stale row never shows.
    " ticket_id bigint PRIMARY KEY,"
    " document tsvector NOT NULL)",
    "CREATE INDEX IF NOT EXISTS search_ticket_doc_gin ON search_ticket_doc USING gin(document)",
]
POSTGRES_REVERSE = ["DROP TABLE IF EXISTS search_ticket_doc"]


def forward(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for statement in statements:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    statements = (
        POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    )
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
