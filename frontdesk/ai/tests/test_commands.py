"""Admins import a help center and ask it questions from the command line."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from frontdesk.ai.models import ImportedArticle
from frontdesk.knowledge.models import Article, Status

pytestmark = pytest.mark.django_db

RECORDS = [
    {
        "external_id": "wifi-drop",
        "title": "Why does my wireless network keep disconnecting?",
        "summary": "Interference and distance make connections drop.",
        "body": "Move closer to the router.\nRestart the router if the signal keeps dropping.",
        "language": "en",
        "category": "net-wireless",
    },
    {
        "external_id": "paper-jam",
        "title": "Clearing a paper jam",
        "summary": "Pull the stuck sheet out slowly.",
        "body": "Open the cover of the printer.\nPull the paper out with both hands.",
        "language": "en",
        "category": "printing",
    },
]


def _write(tmp_path, records):
    path = tmp_path / "kb.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return path


def test_import_publishes_and_reimport_updates(people, tmp_path, capsys, settle):
    call_command("kb_import", str(_write(tmp_path, RECORDS)))
    settle()
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["created"] == 2
    article = Article.objects.get(
        pk=ImportedArticle.objects.get(external_id="paper-jam").article_id
    )
    assert article.status == Status.PUBLISHED
    assert article.group.section.category.slug == "printing"
    assert "Pull the stuck sheet out slowly." in article.body_md
    changed = [dict(RECORDS[0]), {**RECORDS[1], "body": "Open the back door instead."}]
    call_command("kb_import", str(_write(tmp_path, changed)))
    counts = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert counts == {"created": 0, "updated": 1, "unchanged": 1, "failed": 0}
    article.refresh_from_db()
    assert "Open the back door instead." in article.body_md
    assert Article.objects.count() == 2


def test_kb_ask_prints_the_documented_shape(semantic, people, tmp_path, capsys, settle):
    call_command("kb_import", str(_write(tmp_path, RECORDS)))
    settle()
    capsys.readouterr()
    call_command("kb_ask", "--json", "my wifi connection drops every few minutes")
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"answered", "confidence", "results"}
    assert isinstance(out["answered"], bool)
    assert out["results"][0]["external_id"] == "wifi-drop"
    assert set(out["results"][0]) == {"external_id", "title", "score"}
    assert len(out["results"]) <= 3


def test_triage_eval_scores_a_test_file(tmp_path, capsys):
    rows = ["text,label"]
    for i in range(30):
        rows.append(f"my card was stolen {i},card")
        rows.append(f"transfer did not arrive {i},transfer")
    (tmp_path / "a.csv").write_text("\n".join(rows))
    (tmp_path / "b.csv").write_text(
        "text,label\nsomeone stole my card,card\nwhere is my transfer,transfer"
    )
    call_command(
        "triage_eval", "--train", str(tmp_path / "a.csv"), "--test", str(tmp_path / "b.csv"),
        "--text-col", "text", "--label-col", "label", "--json",
    )  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert out["accuracy"] == 1.0
    assert out["n"] == 2
    assert out["precision_at_80_coverage"] == 1.0
