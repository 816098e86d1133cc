"""Create the help-center search index for whichever database this is (raw SQL, per vendor)."""

from django.db import migrations

SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_search_fts USING fts5("
    "title, tags, body, kind UNINDEXED, object_id UNINDEXED, language UNINDEXED, "
    "tokenize = 'porter unicode61 remove_diacritics 2')",
]
SQLITE_REVERSE = ["DROP TABLE IF EXISTS knowledge_search_fts"]
POSTGRES = [
    # No foreign keys: the index is derived data over several kinds, rebuilt at will;
    # searches resolve ids through permission-scoped selectors, so a stale row never shows.
    "CREATE TABLE IF NOT EXISTS knowledge_search_doc ("
    " kind varchar(20) NOT NULL,"
    " object_id bigint NOT NULL,"
    " language varchar(10) NOT NULL,"
    " document tsvector NOT NULL,"
    " PRIMARY KEY (kind, object_id))",
    "CREATE INDEX IF NOT EXISTS knowledge_search_doc_gin ON knowledge_search_doc "
    "USING gin(document)",
]
POSTGRES_REVERSE = ["DROP TABLE IF EXISTS knowledge_search_doc"]


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
    dependencies = [("knowledge", "0001_knowledge_initial")]
    operations = [migrations.RunPython(forward, backward)]
