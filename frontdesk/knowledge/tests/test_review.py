"""Nothing an agent does goes live on a published article without a supervisor or admin, and
a draft written from a ticket stays with the people who may see the ticket."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from frontdesk.knowledge.models import Article, RevisionState, Status, Visibility
from frontdesk.knowledge.search import kb_search
from frontdesk.knowledge.selectors import article_list_manage, revisions_for
from frontdesk.knowledge.services import (
    article_draft_from_ticket,
    article_restore,
    article_save,
    article_settings_save,
    article_transition,
    article_update,
    attachment_add,
    revision_decline,
    revision_publish,
)
from frontdesk.tickets.attachments import IncomingFile

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"1" * 64


def _reader_text(client, article: Article) -> str:
    article.refresh_from_db()
    url = reverse(
        "knowledge:article", args=[article.language, article.group.section.slug, article.slug]
    )
    client.logout()
    return client.get(url).text


def test_bob_edits_a_published_article_and_sam_publishes_the_change(
    people, publish, client, django_capture_on_commit_callbacks
):
    article = publish("Clear a paper jam", "Open the tray.")
    with django_capture_on_commit_callbacks(execute=True):
        article_save(
            article=article,
            title="Clear a paper jam",
            body_md="Open the tray. Call +1 555 0100 for a free printer!",
            author=people["bob"],
        )
    article.refresh_from_db()
    assert article.body_md == "Open the tray." and article.version == 1
    assert "free printer" not in _reader_text(client, article)
    assert kb_search(None, "free printer").hits == []
    proposal = article.revisions.get(state=RevisionState.REVIEW)
    assert (proposal.number, proposal.author) == (2, people["bob"])

    with pytest.raises(PermissionDenied):
        revision_publish(revision=proposal, actor=people["alice"])
    with django_capture_on_commit_callbacks(execute=True):
        revision_publish(revision=proposal, actor=people["sam"])
    article.refresh_from_db()
    assert "free printer" in article.body_md and article.version == 3
    assert "free printer" in _reader_text(client, article)
    assert [h.object_id for h in kb_search(None, "free printer").hits] == [article.pk]
    proposal.refresh_from_db()
    assert proposal.state == RevisionState.PUBLISHED
    with pytest.raises(ValidationError):
        revision_publish(revision=proposal, actor=people["sam"])  # once is enough


def test_a_declined_change_never_shows_and_cannot_be_restored(people, publish, client):
    article = publish("Clear a paper jam", "Open the tray.")
    article_save(article=article, title="Spam", body_md="Buy now", author=people["alice"])
    proposal = article.revisions.get(state=RevisionState.REVIEW)
    revision_decline(revision=proposal, actor=people["ada"])
    with pytest.raises(ValidationError):
        article_restore(article=article, number=proposal.number, actor=people["sam"])
    assert "Buy now" not in _reader_text(client, article)


def test_restore_by_an_agent_waits_for_review(people, publish):
    article = publish("Clear a paper jam", "Old advice.")
    article = article_save(
        article=article, title=article.title, body_md="New advice.", author=people["sam"]
    )
    article_restore(article=article, number=1, actor=people["alice"])
    article.refresh_from_db()
    assert article.body_md == "New advice."
    assert article.revisions.get(state=RevisionState.REVIEW).body_md == "Old advice."


def test_agent_edits_drafts_freely_but_not_a_published_articles_settings(people, publish):
    draft_article = publish("Clear a paper jam", "Open the tray.")
    article_transition(article=draft_article, to=Status.DRAFT, actor=people["sam"])
    article_save(article=draft_article, title="Jam", body_md="Pull.", author=people["alice"])
    draft_article.refresh_from_db()
    assert draft_article.body_md == "Pull."  # a draft: saved as is

    live = publish("Reset your password", "Choose Forgot.")
    with pytest.raises(PermissionDenied):
        article_settings_save(
            article=live,
            actor=people["alice"],
            section=live.group.section,
            visibility=Visibility.AGENTS,
            organizations=[],
            tags=[],
        )
    with pytest.raises(PermissionDenied):
        article_update(article=live, actor=people["bob"], tags=["password"])
    # Saving the settings unchanged (the editor form does) is no change at all.
    article_settings_save(
        article=live,
        actor=people["alice"],
        section=live.group.section,
        visibility=Visibility.PUBLIC,
        organizations=[],
        tags=[],
    )
    article_update(article=live, actor=people["sam"], tags=["password"])
    assert [t.name for t in live.group.tags.all()] == ["password"]
    with pytest.raises(PermissionDenied):
        attachment_add(
            group=live.group, file=IncomingFile(name="x.png", content=PNG), actor=people["alice"]
        )
    attachment_add(
        group=live.group, file=IncomingFile(name="x.png", content=PNG), actor=people["sam"]
    )


def test_editor_pages_send_an_agents_change_for_review(people, publish, client):
    article = publish("Clear a paper jam", "Open the tray.")
    client.force_login(people["alice"])
    edit = reverse("knowledge:edit", args=[article.pk])
    response = client.post(
        edit, {"title": article.title, "body_md": "Tray two.", "note": ""}, follow=True
    )
    assert "Sent for review" in response.text
    settings_post = {
        "save_settings": "1",
        "section": article.group.section_id,
        "visibility": Visibility.AGENTS,
        "tags": "",
    }
    assert client.post(edit, settings_post).status_code == 403
    upload = reverse("knowledge:upload", args=[article.pk])
    file = SimpleUploadedFile("x.png", PNG, content_type="image/png")
    assert client.post(upload, {"file": file}).status_code == 403
    number = article.revisions.get(state=RevisionState.REVIEW).number
    decide = reverse("knowledge:revision_decide", args=[article.pk, number])
    assert client.post(decide, {"decision": "publish"}).status_code == 403
    page = client.get(reverse("knowledge:revisions", args=[article.pk])).text
    assert "Waiting for review" in page and "Publish this change" not in page

    client.force_login(people["sam"])
    page = client.get(reverse("knowledge:revisions", args=[article.pk])).text
    assert "Publish this change" in page
    assert client.post(decide, {"decision": "publish"}).status_code == 302
    assert "Tray two." in _reader_text(client, article)


def test_api_patch_by_an_agent_is_accepted_for_review(people, publish, client):
    article = publish("Clear a paper jam", "Open the tray.")
    client.force_login(people["alice"])
    url = f"/api/v1/kb/articles/{article.pk}/"
    response = client.patch(url, {"body_md": "Tray two."}, content_type="application/json")
    assert response.status_code == 202
    assert response.json()["body_md"] == "Open the tray."
    response = client.patch(url, {"visibility": "agents"}, content_type="application/json")
    assert response.status_code == 403
    revisions = client.get(url + "revisions/").json()
    assert revisions[0]["state"] == "review" and revisions[0]["body_md"] == "Tray two."
    decide = f"{url}revisions/{revisions[0]['number']}/decide/"
    payload = {"decision": "publish"}
    assert client.post(decide, payload, content_type="application/json").status_code == 403
    client.force_login(people["sam"])
    bad = client.post(decide, {"decision": "maybe"}, content_type="application/json")
    assert bad.status_code == 400 and "decision" in bad.json()
    done = client.post(decide, payload, content_type="application/json")
    assert done.status_code == 200 and done.json()["body_md"] == "Tray two."
    again = client.post(decide, payload, content_type="application/json")
    assert again.status_code == 400 and "decision" in again.json()
    response = client.patch(url, {"body_md": "Tray three."}, content_type="application/json")
    assert response.status_code == 200 and response.json()["body_md"] == "Tray three."


def test_a_draft_from_a_ticket_stays_with_people_who_see_the_ticket(
    people, kb_section, make_ticket, client
):
    ticket = make_ticket(subject="VPN drops", body="My password is hunter2 and VPN drops.")
    draft = article_draft_from_ticket(ticket=ticket, author=people["alice"])
    assert "hunter2" in draft.body_md
    assert draft in article_list_manage(user=people["bob"])  # L1, sees the ticket
    assert draft not in article_list_manage(user=people["carol"])  # L2 does not
    client.force_login(people["carol"])
    for name in ("knowledge:edit", "knowledge:revisions"):
        assert client.get(reverse(name, args=[draft.pk])).status_code == 404
    assert client.get(reverse("knowledge:manage")).text.count("VPN drops") == 0
    assert client.get(f"/api/v1/kb/articles/{draft.pk}/").status_code == 404
    assert client.get("/api/v1/kb/articles/", {"status": "draft"}).json()["results"] == []

    # Sam cleans it up and publishes: now every agent may improve it, but the revisions
    # that quote the ticket stay with people who may see it.
    draft = article_save(
        article=draft, title="VPN drops", body_md="Reconnect the VPN.", author=people["sam"]
    )
    article_transition(article=draft, to=Status.PUBLISHED, actor=people["sam"])
    assert client.get(reverse("knowledge:edit", args=[draft.pk])).status_code == 200
    history = client.get(reverse("knowledge:revisions", args=[draft.pk])).text
    assert "hunter2" not in history
    assert [r.number for r in revisions_for(people["carol"], draft)] == []
    assert [r.number for r in revisions_for(people["bob"], draft)] == [2, 1]
    restore = reverse("knowledge:restore", args=[draft.pk, 1])
    assert client.post(restore).status_code == 404
    api = client.get(f"/api/v1/kb/articles/{draft.pk}/revisions/").json()
    assert api == []
    # Later saves are ordinary history, for everyone.
    article_save(article=draft, title="VPN drops", body_md="Reconnect.", author=people["sam"])
    assert [r.number for r in revisions_for(people["carol"], draft)] == [3]


def test_the_report_ranks_read_articles_and_leaves_drafts_out(people, publish, make_ticket):
    from frontdesk.knowledge.selectors import report_articles
    from frontdesk.knowledge.services import article_viewed, feedback_record

    jam = publish("Clear a paper jam", "Open the tray.")
    toner = publish("Replace the toner", "Swap it.")
    for _ in range(3):
        article_viewed(article=toner)
    article_viewed(article=jam)
    feedback_record(article=jam, helpful=True, reader_key="a", user=None, comment="Thanks")
    feedback_record(article=toner, helpful=False, reader_key="a", user=None)
    feedback_record(article=toner, helpful=True, reader_key="b", user=None)
    draft = article_draft_from_ticket(ticket=make_ticket(subject="Secret"), author=people["sam"])

    by_views = report_articles(order="views")
    assert [(a.pk, a.views) for a in by_views] == [(toner.pk, 3), (jam.pk, 1)]
    assert draft.pk not in {a.pk for a in by_views}
    assert [a.comment_count for a in by_views] == [0, 1]
    assert [a.pk for a in report_articles(order="helpful")] == [jam.pk, toner.pk]
    assert [a.pk for a in report_articles(order="unhelpful")] == [toner.pk]
