"""Demo forum: a couple of topics between customers and the support team."""

from __future__ import annotations

from typing import Any

from frontdesk.community.services import (
    category_save,
    post_accept,
    post_create,
    post_moderate,
    post_vote,
    topic_create,
    topic_moderate,
)


def after_tickets(context: dict[str, Any]) -> None:
    staff = context["staff"]
    customers = list(context["people"].values())
    agent = staff.get("alice@example.com")
    moderator = staff.get("supervisor@example.com")
    if agent is None or moderator is None or len(customers) < 3:
        return
    asker, helper, reader = customers[0], customers[1], customers[2]
    tips = category_save(name="Tips and tricks", description="Share what works for you.")
    questions = category_save(name="Questions", description="Ask other customers and our team.")

    welcome = topic_create(
        category=tips,
        author=agent,
        title="Welcome to the community",
        body_md="Ask questions, share tips, and mark the answer that solved it. "
        "Our support team reads along and answers too.",
    )
    topic_moderate(topic=welcome, actor=moderator, action="pin")

    jam = topic_create(
        category=questions,
        author=asker,
        title="Printer jams on thick paper",
        body_md="Every time I print invitations on card stock the office printer jams. "
        "Plain paper works fine. Any ideas?",
    )
    post_moderate(post=jam.posts.get(), actor=moderator, action="approve")
    tip = post_create(
        topic=jam,
        author=helper,
        body_md="I had the same problem. Fanning the stack helped a bit.",
    )
    post_moderate(post=tip, actor=moderator, action="approve")
    answer = post_create(
        topic=jam,
        author=agent,
        body_md="Use the **manual feed tray** for anything thicker than 120 g/m². "
        "See also the help-center article *Clear a paper jam*.",
    )
    post_vote(post=answer, user=asker, value=1)
    post_vote(post=answer, user=reader, value=1)
    post_accept(post=answer, actor=asker)

    sso = topic_create(
        category=questions,
        author=reader,
        title="Kan man logga in utan lösenord?",
        body_md="Finns det något sätt att logga in utan att komma ihåg ett lösenord?",
        language="sv",
    )
    post_moderate(post=sso.posts.get(), actor=moderator, action="approve")
    post_create(
        topic=sso,
        author=agent,
        body_md="Ja! Välj *Mejla mig en inloggningskod* på inloggningssidan.",
    )
    context["stdout"].write("Community: 3 topics.")
