"""Demo help center: a few articles in English with Swedish translations (written for
Frontdesk's demo; no third-party text)."""

from __future__ import annotations

from typing import Any

from frontdesk.knowledge.models import Status, Visibility
from frontdesk.knowledge.search import kb_reindex
from frontdesk.knowledge.services import (
    article_create,
    article_transition,
    category_save,
    section_save,
    translation_create,
)

# category, section, visibility, tags, (English title, body), (Swedish title, body) or None
ARTICLES = [
    (
        "Accounts and sign-in",
        "Passwords",
        Visibility.PUBLIC,
        ["password", "sign-in"],
        (
            "Reset your password",
            "Forgot your password? You can choose a new one yourself.\n\n"
            "1. Go to the sign-in page and choose **Forgot password?**\n"
            "2. Type the email address you use with us.\n"
            "3. Open the mail we send and follow the link within one hour.\n\n"
            "No mail after five minutes? Look in your spam folder, then "
            "[submit a request](/portal/requests/new/) and we will help.",
        ),
        (
            "Återställ ditt lösenord",
            "Glömt lösenordet? Du kan välja ett nytt själv.\n\n"
            "1. Gå till inloggningssidan och välj **Glömt lösenordet?**\n"
            "2. Skriv den e-postadress du använder hos oss.\n"
            "3. Öppna mejlet vi skickar och följ länken inom en timme.\n\n"
            "Inget mejl efter fem minuter? Titta i skräpposten och skicka sedan ett ärende.",
        ),
    ),
    (
        "Accounts and sign-in",
        "Passwords",
        Visibility.PUBLIC,
        ["sign-in", "security"],
        (
            "Sign in with a one-time code",
            "Instead of a password you can sign in with a code we send by email.\n\n"
            "Choose **Mail me a sign-in code**, type your address and enter the six-digit code. "
            "A code works once and for ten minutes.",
        ),
        (
            "Logga in med en engångskod",
            "I stället för lösenord kan du logga in med en kod som vi mejlar.\n\n"
            "Välj **Mejla mig en inloggningskod**, skriv din adress och ange den sexsiffriga "
            "koden. En kod fungerar en gång och i tio minuter.",
        ),
    ),
    (
        "Printing and devices",
        "Printers",
        Visibility.PUBLIC,
        ["printer", "paper-jam"],
        (
            "Clear a paper jam",
            "When the printer stops with a paper jam:\n\n"
            "1. Switch the printer off and wait until it is cool.\n"
            "2. Open the front tray and pull the jammed sheet out **slowly, with both hands**.\n"
            "3. Check the rear flap for torn pieces.\n"
            "4. Fan the paper stack before you put it back.\n\n"
            "Thick paper or card stock? Use the manual feed tray instead.",
        ),
        (
            "Åtgärda pappersstopp",
            "När skrivaren stannar med pappersstopp:\n\n"
            "1. Stäng av skrivaren och vänta tills den svalnat.\n"
            "2. Öppna det främre facket och dra ut arket **långsamt med båda händerna**.\n"
            "3. Titta efter avrivna bitar bakom den bakre luckan.\n"
            "4. Lufta pappersbunten innan du lägger tillbaka den.",
        ),
    ),
    (
        "Printing and devices",
        "Printers",
        Visibility.CUSTOMERS,
        ["printer", "wifi"],
        (
            "Add the office printer to your laptop",
            "Connect to the office Wi-Fi first. Then open your system's printer settings, choose "
            "**Add printer** and pick *Office-Printer-2F*. Windows and macOS install the driver "
            "by themselves; on Linux choose the *IPP Everywhere* driver.",
        ),
        None,
    ),
    (
        "Billing",
        "Invoices",
        Visibility.CUSTOMERS,
        ["invoice", "billing"],
        (
            "Where to find your invoices",
            "Every invoice is mailed to your organization's billing contact on the first "
            "working day of the month. Need a copy or a change of billing address? Submit a "
            "request of type *Service request* and mention the invoice number.",
        ),
        (
            "Var hittar jag mina fakturor?",
            "Varje faktura mejlas till organisationens fakturakontakt första vardagen i månaden. "
            "Behöver du en kopia eller ny fakturaadress? Skicka ett ärende av typen "
            "*Beställning* och ange fakturanumret.",
        ),
    ),
    (
        "Accounts and sign-in",
        "Internal",
        Visibility.AGENTS,
        ["escalation"],
        (
            "When to escalate a sign-in problem to L2",
            "Escalate to L2 when a customer's account is locked after the reset mail was sent "
            "twice, or when single sign-on fails for a whole organization. Note what the "
            "customer tried in an internal note first.",
        ),
        None,
    ),
]


def after_tickets(context: dict[str, Any]) -> None:
    staff = context["staff"]
    writer = staff.get("alice@example.com")
    publisher = staff.get("supervisor@example.com")
    if writer is None or publisher is None:
        return
    categories: dict[str, Any] = {}
    sections: dict[str, Any] = {}
    for category_name, section_name, visibility, tags, english, swedish in ARTICLES:
        if category_name not in categories:
            categories[category_name] = category_save(name=category_name, position=len(categories))
        if section_name not in sections:
            sections[section_name] = section_save(
                category=categories[category_name], name=section_name
            )
        article = article_create(
            section=sections[section_name],
            language="en",
            title=english[0],
            body_md=english[1],
            author=writer,
            visibility=visibility,
            tags=tags,
        )
        article_transition(article=article, to=Status.PUBLISHED, actor=publisher)
        if swedish:
            translated = translation_create(
                source=article, language="sv", title=swedish[0], body_md=swedish[1],
                author=writer,
            )  # fmt: skip
            article_transition(article=translated, to=Status.PUBLISHED, actor=publisher)
    # A draft waiting for review, so the editor has something to approve.
    draft = article_create(
        section=sections["Invoices"],
        language="en",
        title="Pay an invoice by card",
        body_md="We are adding card payments. Until then, pay by bank transfer.",
        author=staff.get("bob@example.com", writer),
    )
    article_transition(article=draft, to=Status.REVIEW, actor=writer)
    kb_reindex()
    context["stdout"].write(f"Knowledge base: {len(ARTICLES) + 1} articles.")
