"""PostgreSQL: a GIN index over the title and tag lexemes (weights A and B) of the
help-center documents, so "every word in the title" is found without reading every
document that mentions a common word. SQLite needs nothing."""

from django.db import migrations

POSTGRES = [
    "CREATE INDEX IF NOT EXISTS knowledge_search_doc_title_gin ON knowledge_search_doc "
    "USING gin (ts_filter(document, '{a,b}'))",
]
POSTGRES_REVERSE = ["DROP INDEX IF EXISTS knowledge_search_doc_title_gin"]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_knowledge_search_index")]
    operations = [migrations.RunPython(forward, backward)]
