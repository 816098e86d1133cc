"""The knowledge base over REST, as integrations and help widgets use it.

Dana (Acme) and Erik (Globex) are customers; Alice writes articles, Sam publishes them.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from frontdesk.accounts.services import api_token_create
from frontdesk.knowledge.models import Article, Status, Visibility
from frontdesk.knowledge.services import article_transition, translation_create

pytestmark = pytest.mark.django_db

ARTICLES = "/api/v1/kb/articles/"


@pytest.fixture
def api_as(people):
    """``api_as("dana")`` carries Dana's token; ``api_as(None)`` is a signed-out caller."""

    def client_for(name: str | None) -> APIClient:
        client = APIClient()
        if name is not None:
            _token, key = api_token_create(user=people[name], name="tests")
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return client_for


@pytest.fixture
def shelf(people, publish):
    """One printer article for each audience, all published and indexed."""
    return {
        "public": publish("Printer shows offline", "Restart the printer spooler."),
        "customers": publish(
            "Printer drivers for customers",
            "Download the printer driver.",
            visibility=Visibility.CUSTOMERS,
        ),
        "acme": publish(
            "Acme printer floor plan",
            "The Acme printer is on floor 3.",
            visibility=Visibility.ORGANIZATIONS,
            organizations=[people["acme"]],
        ),
        "internal": publish(
            "Printer escalation runbook",
            "Internal: call the printer vendor hotline.",
            visibility=Visibility.AGENTS,
        ),
    }


# Who may read which article: the pages' rule, now through the API.
READS = {
    None: {"public"},
    "dana": {"public", "customers", "acme"},
    "erik": {"public", "customers"},
    "alice": {"public", "customers", "acme", "internal"},
}


@pytest.mark.parametrize("persona", list(READS))
def test_internal_and_organization_articles_never_reach_the_wrong_reader(persona, shelf, api_as):
    client = api_as(persona)
    allowed = READS[persona]
    titles = {key: article.title for key, article in shelf.items()}

    listed = client.get(ARTICLES)
    assert listed.status_code == 200
    assert {a["title"] for a in listed.json()["results"]} == {titles[k] for k in allowed}

    found = client.get("/api/v1/kb/search/", {"q": "printer"})
    assert found.status_code == 200
    assert {h["title"] for h in found.json()["results"]} == {titles[k] for k in allowed}
    # Not even a snippet of the internal runbook for a customer.
    assert ("vendor hotline" in found.content.decode()) == ("internal" in allowed)

    for key, article in shelf.items():
        got = client.get(f"{ARTICLES}{article.pk}/")
        assert got.status_code == (200 if key in allowed else 404), (persona, key)
        feedback = client.post(
            f"{ARTICLES}{article.pk}/feedback/", {"helpful": True}, format="json"
        )
        assert feedback.status_code == (200 if key in allowed else 404), (persona, key)


def test_categories_list_only_what_the_reader_can_open(shelf, api_as, people, publish):
    from frontdesk.knowledge.services import category_save, section_save

    secret = section_save(category=category_save(name="Runbooks"), name="Escalations")
    publish("Vendor contacts", "Internal.", section=secret, visibility=Visibility.AGENTS)
    for persona, sees_runbooks in ((None, False), ("dana", False), ("alice", True)):
        names = {c["name"] for c in api_as(persona).get("/api/v1/kb/categories/").json()}
        assert "Printing" in names
        assert ("Runbooks" in names) == sees_runbooks


def test_drafts_and_articles_in_review_are_for_agents_only(people, kb_section, api_as):
    alice = api_as("alice")
    created = alice.post(
        ARTICLES,
        {"section": kb_section.pk, "title": "Scanner to email", "body_md": "Use **scan**."},
        format="json",
    )
    assert created.status_code == 201
    draft = created.json()
    assert draft["status"] == "draft" and draft["version"] == 1
    assert "<strong>scan</strong>" in draft["body_html"]
    url = f"{ARTICLES}{draft['id']}/"
    assert api_as("dana").get(url).status_code == 404
    assert api_as(None).get(url).status_code == 404
    assert alice.post(f"{url}transition/", {"to": "review"}, format="json").status_code == 200
    assert api_as("dana").get(url).status_code == 404
    assert draft["title"] not in api_as("dana").get(ARTICLES).content.decode()

    in_review = alice.get(ARTICLES, {"status": "review"}).json()["results"]
    assert [a["title"] for a in in_review] == ["Scanner to email"]
    refused = api_as("dana").get(ARTICLES, {"status": "review"})
    assert refused.status_code == 400 and "status" in refused.json()


def test_alice_writes_every_save_is_a_revision_and_only_sam_publishes(people, kb_section, api_as):
    alice, sam = api_as("alice"), api_as("sam")
    article = alice.post(
        ARTICLES,
        {"section": kb_section.pk, "title": "Clear a paper jam", "body_md": "Open the tray."},
        format="json",
    ).json()
    url = f"{ARTICLES}{article['id']}/"
    changed = alice.patch(
        url,
        {"body_md": "Open the tray and pull gently.", "note": "gentler", "tags": ["paper"]},
        format="json",
    )
    assert changed.status_code == 200
    assert changed.json()["version"] == 2 and changed.json()["tags"] == ["paper"]
    revisions = alice.get(f"{url}revisions/").json()
    assert [(r["number"], r["note"]) for r in revisions] == [(2, "gentler"), (1, "Created")]
    assert api_as("dana").get(f"{url}revisions/").status_code == 403

    # The same rule as the editor: agents send for review, supervisors publish.
    refused = alice.post(f"{url}transition/", {"to": "published"}, format="json")
    assert refused.status_code == 403
    published = sam.post(f"{url}transition/", {"to": "published"}, format="json")
    assert published.status_code == 200 and published.json()["status"] == "published"
    impossible = sam.post(f"{url}transition/", {"to": "review"}, format="json")
    assert impossible.status_code == 400 and "to" in impossible.json()
    assert api_as("dana").get(url).json()["body_html"].startswith("<p>Open the tray and pull")
    assert api_as("dana").patch(url, {"title": "Mine now"}, format="json").status_code == 403


def test_reader_gets_their_language_or_the_original_with_a_notice(people, publish, api_as):
    source = publish("Reset your password", "Click *Forgot password*.")
    only_english = publish("Change your email address", "Open your profile.")
    swedish = translation_create(
        source=source,
        language="sv",
        title="Återställ ditt lösenord",
        body_md="Klicka på *Glömt lösenord*.",
        author=people["alice"],
    )
    article_transition(article=swedish, to=Status.PUBLISHED, actor=people["sam"])

    listed = api_as("dana").get(ARTICLES, {"language": "sv"}).json()["results"]
    by_title = {a["title"]: a for a in listed}
    assert set(by_title) == {"Återställ ditt lösenord", "Change your email address"}
    assert by_title["Återställ ditt lösenord"]["is_fallback"] is False
    assert by_title["Change your email address"]["is_fallback"] is True

    detail = api_as(None).get(f"{ARTICLES}{source.pk}/", {"language": "sv"}).json()
    assert detail["id"] == swedish.pk and detail["language"] == "sv"
    assert [t["language"] for t in detail["translations"]] == ["en"]
    fallback = api_as(None).get(f"{ARTICLES}{only_english.pk}/", {"language": "sv"}).json()
    assert fallback["language"] == "en" and fallback["is_fallback"] is True


def test_feedback_is_one_answer_per_reader(shelf, api_as):
    article = shelf["public"]
    dana = api_as("dana")
    url = f"{ARTICLES}{article.pk}/feedback/"
    assert dana.post(url, {"helpful": True}, format="json").status_code == 200
    again = dana.post(url, {"helpful": False, "comment": "Still offline"}, format="json")
    assert again.json() == {"helpful": False, "comment": "Still offline"}
    assert api_as(None).post(url, {"helpful": True}, format="json").status_code == 200
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (1, 1)


@pytest.mark.parametrize(
    ("method", "path", "payload", "field"),
    [
        ("post", ARTICLES, {"title": "x"}, "section"),
        ("post", ARTICLES, {"section": 10**30, "title": "x"}, "section"),
        ("post", ARTICLES, {"section": "SECTION", "title": "x", "language": "de"}, "language"),
        ("post", ARTICLES, {"section": "SECTION", "title": "x", "stauts": "draft"}, "stauts"),
        ("post", ARTICLES, {"section": "SECTION", "title": "x", "visibility": "all"}, "visibility"),
        (
            "post",
            ARTICLES,
            {"section": "SECTION", "title": "x", "organizations": [0]},
            "organizations",
        ),  # fmt: skip
        ("post", ARTICLES, {"section": "SECTION", "title": "x" * 201}, "title"),
        ("patch", "ARTICLE/", {"title": ""}, "title"),
        ("patch", "ARTICLE/", {"tags": "not-a-list"}, "tags"),
        ("patch", "ARTICLE/", {"related": [10**30]}, "related"),
        ("post", "ARTICLE/transition/", {"to": "gone"}, "to"),
        ("post", "ARTICLE/transition/", {"to": "published", "publish_at": "soon"}, "publish_at"),
        ("post", "ARTICLE/translations/", {"language": "sv"}, "title"),
        ("post", "ARTICLE/translations/", {"language": "en", "title": "Same"}, "language"),
        ("post", "ARTICLE/feedback/", {"helpful": "maybe"}, "helpful"),
        ("get", "/api/v1/kb/search/", {}, "q"),
        ("get", "/api/v1/kb/search/", {"q": "printer", "limit": "lots"}, "limit"),
        ("get", "/api/v1/kb/search/", {"q": "printer", "type": "ticket"}, "type"),
        ("get", ARTICLES, {"language": "de"}, "language"),
        ("get", ARTICLES, {"status": "lost"}, "status"),
        ("get", ARTICLES, {"cursor": "forged"}, "cursor"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(method, path, payload, field, shelf, api_as):
    article = shelf["public"]
    path = path.replace("ARTICLE", f"{ARTICLES}{article.pk}")
    if payload.get("section") == "SECTION":
        payload = {**payload, "section": article.group.section_id}
    client = api_as("sam")
    if method == "get":
        response = client.get(path, payload)
    else:
        response = getattr(client, method)(path, payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_signed_out_reads_can_be_turned_off(shelf, api_as, settings):
    settings.KB_API_ANONYMOUS = False
    assert api_as(None).get(ARTICLES).status_code == 401
    assert api_as(None).get("/api/v1/kb/search/", {"q": "printer"}).status_code == 401
    assert api_as(None).get("/api/v1/community/topics/").status_code == 401
    assert api_as("dana").get(ARTICLES).status_code == 200


def test_article_list_reads_a_fixed_number_of_queries(
    shelf, publish, api_as, django_assert_max_num_queries
):
    for n in range(10):
        publish(f"Toner cartridge {n}", "Replace the toner.")
    client = api_as("dana")
    client.get(ARTICLES)  # the token lookup warms up
    with django_assert_max_num_queries(8):
        response = client.get(ARTICLES)
    assert len(response.json()["results"]) == 13


def test_schema_describes_the_knowledge_routes(api_as):
    schema = api_as(None).get("/api/v1/schema/", {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/kb/articles/{id}/transition/" in paths
    assert "/api/v1/community/topics/{id}/posts/" in paths


def test_saving_through_the_api_keeps_published_text_live(shelf, api_as):
    article = shelf["public"]
    # A supervisor's save is live at once (an agent's waits for review: test_review.py).
    api_as("sam").patch(
        f"{ARTICLES}{article.pk}/", {"title": "Printer shows offline again"}, format="json"
    )
    article = Article.objects.get(pk=article.pk)
    assert article.status == Status.PUBLISHED and article.version == 2
    assert api_as(None).get(f"{ARTICLES}{article.pk}/").json()["title"] == (
        "Printer shows offline again"
    )
