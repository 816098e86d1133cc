"""The forum as people use it: ask, answer, vote, accept, follow, moderate, escalate."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from frontdesk.community.models import PostStatus, Topic
from frontdesk.community.selectors import posts_for, topic_list_for
from frontdesk.community.services import (
    category_save,
    post_accept,
    post_create,
    post_edit,
    post_moderate,
    post_to_ticket,
    post_vote,
    topic_create,
    topic_moderate,
    topic_to_article,
)
from frontdesk.knowledge.models import Status
from frontdesk.knowledge.search import kb_search

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(db):
    return category_save(name="Printers and paper")


@pytest.fixture
def asked(people, board, django_capture_on_commit_callbacks):
    """Dana asks; her first post is held, Alice approves it."""
    with django_capture_on_commit_callbacks(execute=True):
        topic = topic_create(
            category=board,
            author=people["dana"],
            title="Printer jams on thick paper",
            body_md="Every time I print on **card stock** the printer jams.",
        )
        post_moderate(post=topic.posts.get(), actor=people["alice"], action="approve")
    return topic


def test_first_post_of_a_new_member_waits_for_a_moderator(people, board, client):
    topic = topic_create(
        category=board, author=people["erik"], title="Hello", body_md="My first post"
    )
    post = topic.posts.get()
    assert post.status == PostStatus.HELD
    assert topic not in topic_list_for(None)
    assert topic not in topic_list_for(people["dana"])
    assert topic in topic_list_for(people["erik"])  # he sees his own, marked held
    assert client.get(reverse("community:topic", args=[topic.pk])).status_code == 404
    post_moderate(post=post, actor=people["alice"], action="approve")
    assert client.get(reverse("community:topic", args=[topic.pk])).status_code == 200
    # Once approved, Erik's next posts go straight out.
    reply = post_create(topic=topic, author=people["erik"], body_md="Second")
    assert reply.status == PostStatus.VISIBLE


def test_customers_have_a_posting_rate_limit(people, asked, settings):
    settings.COMMUNITY_POSTS_PER_HOUR = 2
    post_create(topic=asked, author=people["dana"], body_md="one more")
    with pytest.raises(ValidationError):
        post_create(topic=asked, author=people["dana"], body_md="and another")
    for n in range(3):  # agents are not limited
        post_create(topic=asked, author=people["alice"], body_md=f"agent {n}")


def test_followers_get_mail_on_reply_and_mentions_are_told(
    people, asked, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post_create(
            topic=asked,
            author=people["alice"],
            body_md="Use the manual feed tray. @Bob can you confirm?",
        )
    to = sorted(m.to[0] for m in mail.outbox)
    assert to == ["bob@example.com", "dana@example.com"]
    reply_mail = next(m for m in mail.outbox if m.to == ["dana@example.com"])
    assert "Printer jams on thick paper" in reply_mail.subject
    assert f"/community/t/{asked.pk}/" in reply_mail.body
    # Running the job again sends nothing twice.
    from frontdesk.community.tasks import post_notify

    post_notify(asked.posts.last().pk)
    assert len(mail.outbox) == 2


def test_votes_once_per_person_and_the_asker_accepts(people, asked):
    answer = post_create(topic=asked, author=people["alice"], body_md="Manual feed tray.")
    post_vote(post=answer, user=people["dana"], value=1)
    post_vote(post=answer, user=people["erik"], value=1)
    answer = post_vote(post=answer, user=people["erik"], value=1)  # again: taken back
    assert answer.score == 1
    with pytest.raises(ValidationError):
        post_vote(post=answer, user=people["alice"], value=1)  # own post
    with pytest.raises(PermissionDenied):
        post_accept(post=answer, actor=people["erik"])
    topic = post_accept(post=answer, actor=people["dana"])
    assert topic.accepted_post == answer and answer.by_agent


def test_locked_topic_takes_replies_from_agents_only(people, asked):
    topic_moderate(topic=asked, actor=people["alice"], action="lock")
    with pytest.raises(ValidationError):
        post_create(topic=asked, author=people["dana"], body_md="but wait")
    post_create(topic=asked, author=people["alice"], body_md="Closing note.")


def test_hidden_topic_and_spam_never_show_to_readers_or_search(
    people, asked, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        spam = post_create(topic=asked, author=people["dana"], body_md="cheap watches online")
        post_moderate(post=spam, actor=people["alice"], action="spam")
    assert spam not in posts_for(people["erik"], asked)
    assert spam in posts_for(people["alice"], asked)
    assert kb_search(None, "watches").hits == []
    assert [h.object_id for h in kb_search(None, "card stock jams").hits] == [asked.pk]
    with django_capture_on_commit_callbacks(execute=True):
        topic_moderate(topic=asked, actor=people["sam"], action="hide")
    assert kb_search(None, "card stock jams").hits == []
    assert asked not in topic_list_for(people["dana"])
    assert asked in topic_list_for(people["alice"])


def test_edit_keeps_history(people, asked, client):
    post = asked.posts.get()
    post_edit(post=post, editor=people["dana"], body_md="Jams on card stock and photo paper.")
    with pytest.raises(PermissionDenied):
        post_edit(post=post, editor=people["erik"], body_md="vandalism")
    assert [r.body_md for r in post.revisions.all()] == [
        "Every time I print on **card stock** the printer jams."
    ]
    client.force_login(people["alice"])
    page = client.get(reverse("community:history", args=[post.pk])).content.decode()
    assert "card stock" in page and "photo paper" in page


def test_agent_turns_a_post_into_a_ticket_and_a_thread_into_a_draft(people, asked):
    question = asked.posts.get()
    ticket = post_to_ticket(post=question, actor=people["alice"])
    assert ticket.requester == people["dana"]
    assert ticket.subject == "Printer jams on thick paper"
    assert ticket.channel == "portal"
    answer = post_create(topic=asked, author=people["alice"], body_md="Use the manual feed.")
    post_accept(post=answer, actor=people["dana"])
    asked.refresh_from_db()
    article = topic_to_article(topic=asked, actor=people["alice"])
    assert article.status == Status.DRAFT
    assert "card stock" in article.body_md and "manual feed" in article.body_md
    with pytest.raises(PermissionDenied):
        post_to_ticket(post=question, actor=people["dana"])


def test_turning_twice_opens_the_same_ticket_and_draft(people, asked, client):
    question = asked.posts.get()
    first = post_to_ticket(post=question, actor=people["alice"])
    assert post_to_ticket(post=question, actor=people["bob"]) == first
    draft = topic_to_article(topic=asked, actor=people["alice"])
    assert topic_to_article(topic=asked, actor=people["sam"]) == draft
    client.force_login(people["bob"])
    page = client.get(reverse("community:topic", args=[asked.pk])).text
    assert reverse("desk:ticket", args=[first.number]) in page
    assert "Turn into a ticket" not in page


def test_signed_out_readers_see_public_boards_and_must_sign_in_to_post(people, asked, client):
    page = client.get(reverse("community:topic", args=[asked.pk])).content.decode()
    assert "<strong>card stock</strong>" in page
    assert "Sign in to reply" in page
    response = client.post(reverse("community:reply", args=[asked.pk]), {"body_md": "hi"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    private = category_save(name="Customers only", signed_in_only=True)
    hidden = Topic.objects.create(
        category=private, title="Private", author=people["dana"],
        created_at=asked.created_at, last_post_at=asked.created_at,
    )  # fmt: skip
    assert client.get(reverse("community:category", args=[private.slug])).status_code == 404
    assert hidden not in topic_list_for(None)


def test_dana_replies_through_the_page(people, asked, client):
    client.force_login(people["dana"])
    response = client.post(
        reverse("community:reply", args=[asked.pk]), {"body_md": "Thanks, <script>x</script>"}
    )
    assert response.status_code == 302
    page = client.get(reverse("community:topic", args=[asked.pk])).content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert "<script>x" not in page


def test_an_edit_by_someone_whose_posts_are_held_waits_for_a_moderator(
    people, asked, board, client, django_capture_on_commit_callbacks
):
    # Erik's first topic is held; a moderator lets his reply on Dana's topic through, then
    # marks his other post as spam: from then on his posts (and edits) are held.
    erik_topic = topic_create(category=board, author=people["erik"], title="Hi", body_md="Hi")
    reply = post_create(topic=asked, author=people["erik"], body_md="Use thinner paper.")
    reply = post_moderate(post=reply, actor=people["alice"], action="approve")
    post_accept(post=reply, actor=people["dana"])
    post_moderate(post=erik_topic.posts.get(), actor=people["alice"], action="spam")
    asked.refresh_from_db()
    replies_before = asked.reply_count

    with django_capture_on_commit_callbacks(execute=True):
        post_edit(post=reply, editor=people["erik"], body_md="Buy pills at spam.example")
    reply.refresh_from_db()
    asked.refresh_from_db()
    assert reply.status == PostStatus.HELD
    assert asked.reply_count == replies_before - 1
    assert asked.accepted_post_id == reply.pk  # held for review, not un-accepted
    assert reply not in posts_for(people["dana"], asked)
    assert reply in posts_for(people["erik"], asked)  # he sees his own, held
    client.force_login(people["dana"])
    assert "spam.example" not in client.get(reverse("community:topic", args=[asked.pk])).text
    assert [r.body_md for r in reply.revisions.all()] == ["Use thinner paper."]
    assert reply in post_list_held()

    post_moderate(post=reply, actor=people["alice"], action="approve")
    asked.refresh_from_db()
    assert asked.reply_count == replies_before
    assert "spam.example" in client.get(reverse("community:topic", args=[asked.pk])).text


def test_a_trusted_members_edit_and_an_agents_edit_stay_visible(people, asked):
    post = asked.posts.get()
    post_edit(post=post, editor=people["dana"], body_md="Jams on card stock, photo paper too.")
    post.refresh_from_db()
    assert post.status == PostStatus.VISIBLE
    post_edit(post=post, editor=people["alice"], body_md="Jams on card stock (tidied).")
    post.refresh_from_db()
    assert post.status == PostStatus.VISIBLE
    with pytest.raises(ValidationError):
        post_edit(post=post, editor=people["dana"], body_md="x" * 50_001)


def test_erik_edits_through_the_page_and_is_told_it_waits(people, asked, board, client):
    reply = post_create(topic=asked, author=people["erik"], body_md="Use thinner paper.")
    post_moderate(post=reply, actor=people["alice"], action="approve")
    spam = post_create(topic=asked, author=people["erik"], body_md="Cheap pills")
    post_moderate(post=spam, actor=people["alice"], action="spam")
    client.force_login(people["erik"])
    response = client.post(
        reverse("community:edit", args=[reply.pk]), {"body_md": "Pills!"}, follow=True
    )
    with translation.override("sv"):  # Erik reads Swedish
        told = gettext("Saved. A moderator looks at your change before others see it.")
    assert told in response.text
    reply.refresh_from_db()
    assert reply.status == PostStatus.HELD


def post_list_held():
    from frontdesk.community.selectors import moderation_queue

    return moderation_queue()["held"]
