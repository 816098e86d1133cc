"""Writing, publishing, versions, translations, feedback and deflection, as people do them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from frontdesk.core import clock
from frontdesk.knowledge.markdown import markdown_render, snippet
from frontdesk.knowledge.models import Article, DeflectionKind, Status, Visibility
from frontdesk.knowledge.search import kb_search
from frontdesk.knowledge.selectors import (
    MovedTo,
    article_get_for,
    article_list_visible,
    articles_for_reader,
    deflection_stats,
    failed_searches,
    revision_diff,
)
from frontdesk.knowledge.services import (
    article_create,
    article_restore,
    article_save,
    article_transition,
    deflection_record,
    feedback_record,
    translation_create,
)

pytestmark = pytest.mark.django_db


def test_markdown_is_rendered_and_raw_html_never_runs():
    html = markdown_render(
        "# Title\n\n**bold** <script>alert(1)</script> [x](javascript:alert(1))\n\n"
        '<img src=x onerror="alert(1)">'
    )
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    # Raw HTML shows as text: escaped, never an element.
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html


def test_snippet_escapes_then_marks():
    text = "Printers <b>jam</b> when the paper is damp; printing again helps."
    out = snippet(text, ["printing"])
    assert "&lt;b&gt;jam&lt;/b&gt;" in out
    assert "<mark>Printers</mark>" in out and "<mark>printing</mark>" in out


def test_alice_writes_sam_publishes(people, kb_section):
    article = article_create(
        section=kb_section,
        language="en",
        title="Reset your password",
        body_md="Choose *Forgot*.",
        author=people["alice"],
    )
    assert article.status == Status.DRAFT and article.slug == "reset-your-password"
    assert list(article_list_visible(None)) == []
    article = article_transition(article=article, to=Status.REVIEW, actor=people["alice"])
    with pytest.raises(PermissionDenied):
        article_transition(article=article, to=Status.PUBLISHED, actor=people["alice"])
    article = article_transition(article=article, to=Status.PUBLISHED, actor=people["sam"])
    assert list(article_list_visible(None)) == [article]
    article = article_transition(article=article, to=Status.ARCHIVED, actor=people["ada"])
    assert list(article_list_visible(people["dana"])) == []
    with pytest.raises(ValidationError):
        article_transition(article=article, to=Status.REVIEW, actor=people["ada"])


def test_scheduled_article_appears_when_its_time_comes(people, kb_section):
    article = article_create(
        section=kb_section,
        language="en",
        title="New office opens",
        body_md="Monday.",
        author=people["alice"],
    )
    later = clock.now() + timedelta(days=2)
    article_transition(article=article, to=Status.PUBLISHED, actor=people["sam"], publish_at=later)
    assert not article_list_visible(people["dana"]).exists()
    with time_machine.travel(later + timedelta(minutes=1)):
        assert article_list_visible(people["dana"]).get() == article


@pytest.mark.parametrize(
    ("visibility", "readers"),
    [
        (Visibility.PUBLIC, {"anon", "dana", "erik", "alice"}),
        (Visibility.CUSTOMERS, {"dana", "erik", "alice"}),
        (Visibility.ORGANIZATIONS, {"dana", "alice"}),
        (Visibility.AGENTS, {"alice"}),
    ],
)
def test_each_reader_sees_only_their_articles(people, publish, visibility, readers, client):
    article = publish(
        title="Acme VPN setup",
        body="Use the Acme gateway.",
        visibility=visibility,
        organizations=[people["acme"]],
    )
    url = f"/kb/en/{article.group.section.slug}/{article.slug}/"
    for persona in ("anon", "dana", "erik", "alice"):
        user = None if persona == "anon" else people[persona]
        expected = persona in readers
        assert article_list_visible(user).filter(pk=article.pk).exists() == expected, persona
        hits = [h.object_id for h in kb_search(user, "acme vpn").hits]
        assert (article.pk in hits) == expected, f"search as {persona}"
        client.logout()
        if user:
            client.force_login(user)
        status = client.get(url).status_code
        assert status == (200 if expected else 404), f"page as {persona}"


def test_every_save_is_a_revision_with_diff_and_restore(people, publish):
    article = publish(title="Clear a paper jam", body="Open the tray.\nPull the paper.")
    article = article_save(
        article=article,
        title="Clear a paper jam",
        body_md="Open the tray.\nPull gently.",
        author=people["sam"],
    )
    revisions = list(article.revisions.order_by("number"))
    assert [(r.number, r.author) for r in revisions] == [(1, people["alice"]), (2, people["sam"])]
    diff = revision_diff(revisions[0], revisions[1])
    assert ("-", "Pull the paper.") in diff and ("+", "Pull gently.") in diff
    article = article_restore(article=article, number=1, actor=people["sam"])
    assert article.body_md == "Open the tray.\nPull the paper."
    assert article.revisions.count() == 3
    assert article.revisions.first().note == "Restored revision 1"


def test_new_title_gets_new_slug_and_old_link_redirects(people, publish):
    article = publish(title="Clear a paper jam")
    article_save(
        article=article, title="Fix a paper jam", body_md=article.body_md, author=people["sam"]
    )
    article.refresh_from_db()
    assert article.slug == "fix-a-paper-jam"
    with pytest.raises(MovedTo) as moved:
        article_get_for(None, language="en", slug="clear-a-paper-jam")
    assert moved.value.article == article


def test_translation_falls_back_and_goes_outdated(people, publish):
    source = publish(title="Clear a paper jam", body="Open the tray.")
    # No Swedish yet: Erik reads the English one, marked as a fallback.
    shown = articles_for_reader(people["erik"], "sv")
    assert [(a.pk, a.is_fallback) for a in shown] == [(source.pk, True)]
    swedish = translation_create(
        source=source,
        language="sv",
        title="Åtgärda pappersstopp",
        body_md="Öppna facket.",
        author=people["alice"],
    )
    assert swedish.slug == "atgarda-pappersstopp" and not swedish.outdated
    article_transition(article=swedish, to=Status.PUBLISHED, actor=people["sam"])
    shown = articles_for_reader(people["erik"], "sv")
    assert [(a.pk, a.is_fallback) for a in shown] == [(swedish.pk, False)]
    article_save(
        article=source, title=source.title, body_md="Open the front tray.", author=people["sam"]
    )
    swedish.refresh_from_db()
    assert swedish.outdated
    article_save(
        article=swedish, title=swedish.title, body_md="Öppna främre facket.", author=people["sam"]
    )
    swedish.refresh_from_db()
    assert not swedish.outdated and swedish.source_version == 2
    with pytest.raises(ValidationError):
        translation_create(
            source=source, language="sv", title="x", body_md="", author=people["alice"]
        )


def test_feedback_once_per_reader_and_changeable(people, publish):
    article = publish()
    feedback_record(article=article, helpful=True, reader_key="u1", user=people["dana"])
    feedback_record(article=article, helpful=True, reader_key="u1", user=people["dana"])
    feedback_record(
        article=article, helpful=False, reader_key="s:abc", user=None, comment="Did not help"
    )
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (1, 1)
    feedback_record(article=article, helpful=True, reader_key="s:abc", user=None)
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (2, 0)


def test_deflection_counts_opened_and_not_submitted(people, publish):
    article = publish()
    # Dana sees suggestions, opens one, leaves: deflected.
    deflection_record(session="s1", kind=DeflectionKind.SHOWN, user=people["dana"])
    deflection_record(session="s1", kind=DeflectionKind.SHOWN, user=people["dana"])
    deflection_record(session="s1", kind=DeflectionKind.OPENED, article=article)
    # Erik sees suggestions, opens one, files anyway: not deflected.
    deflection_record(session="s2", kind=DeflectionKind.SHOWN)
    deflection_record(session="s2", kind=DeflectionKind.OPENED, article=article)
    deflection_record(session="s2", kind=DeflectionKind.SUBMITTED)
    # Dan ignores the suggestions and files.
    deflection_record(session="s3", kind=DeflectionKind.SHOWN)
    deflection_record(session="s3", kind=DeflectionKind.SUBMITTED)
    stats = deflection_stats()
    assert (stats.sessions, stats.opened, stats.deflected, stats.submitted) == (3, 2, 1, 2)
    assert stats.rate == pytest.approx(1 / 3)


def test_search_ranks_highlights_corrects_and_logs_failures(people, publish):
    publish(title="Clear a paper jam", body="Open the printer tray and pull the paper.")
    publish(title="Connect to wireless", body="Pick your network from the menu.")
    results = kb_search(None, "printer paper")
    assert [h.title for h in results.hits] == ["Clear a paper jam"]
    assert "<mark>" in results.hits[0].snippet
    typo = kb_search(None, "wirless")
    assert typo.corrected == "wireless"
    assert [h.title for h in typo.hits] == ["Connect to wireless"]
    assert kb_search(None, "quantum flux capacitor").hits == []
    assert [(f.query, f.count) for f in failed_searches()] == [("quantum flux capacitor", 1)]


def test_swedish_articles_are_found_by_swedish_words(people, publish):
    source = publish(title="Connect to wireless", body="Pick your network.")
    swedish = translation_create(
        source=source,
        language="sv",
        title="Anslut till trådlöst nätverk",
        body_md="Välj ditt nätverk i menyn.",
        author=people["alice"],
    )
    article_transition(article=swedish, to=Status.PUBLISHED, actor=people["sam"])
    from frontdesk.knowledge.search import article_index

    article_index(swedish.pk)
    hits = kb_search(people["erik"], "nätverk", reader_language="sv").hits
    assert [h.object_id for h in hits] == [swedish.pk]
    assert Article.objects.count() == 2
