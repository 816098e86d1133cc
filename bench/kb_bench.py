#!/usr/bin/env python
"""Time help-center search, deflection suggestions and a full ticket reindex (PostgreSQL).

    DATABASE_URL=postgresql://... python bench/kb_bench.py [--articles 10000] [--threads 500]
        [--samples 200] [--warmup 20] [--skip-reindex]

Runs against a database seeded by bench/seed.py (1,000,000 tickets for the real figures).

1. Applies the knowledge and community migrations if they are missing (only those apps).
2. Seeds ``--articles`` help-center articles (English, and Swedish translations of about a
   third of them) in six categories, and ``--threads`` forum threads, with generated text,
   by bulk insert; then builds the help-center search index with ``kb_reindex``. The rows
   live in categories whose slug starts with ``bench-``: a rerun with the same sizes keeps
   them, other sizes replace them. Nothing else in the database is touched.
3. Times, warm, through the real views with Django's test Client (URL routing, middleware,
   selectors, templates), as a signed-out reader and as a signed-in customer:
   - ``kb_search_p95_ms``: ``GET /kb/search/?q=...`` (the help-center search page) over a
     mix of one- to four-word questions, English and Swedish, a few misspelt;
   - ``kb_suggest_p95_ms``: ``GET /kb/suggest/?subject=...&body=...`` as a customer types a
     new request, word by word.
   With a ranker registered (the AI app's semantic fusion, when its model is installed),
   both are timed as the help center runs and again purely lexical (``*_lexical_*``).
4. ``reindex_1m_s``: ``manage.py search_reindex`` over every ticket (rewrites the ticket
   search index in place), unless ``--skip-reindex``.

One JSON object on stdout; progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("FRONTDESK_SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
os.environ.setdefault("FRONTDESK_DEBUG", "0")

PREFIX = "bench-"
SV_SHARE = 3  # one article in three also has a Swedish version
# Who may read an article, by share of articles (the rest are public).
AUDIENCE = [("customers", 0.10), ("organizations", 0.05), ("agents", 0.05)]
DRAFT_SHARE = 0.04

CATEGORIES = {
    "accounts": ("Accounts and sign-in", "Konton och inloggning"),
    "billing": ("Billing and invoices", "Fakturor och betalning"),
    "network": ("Network and VPN", "Nätverk och VPN"),
    "devices": ("Devices and printers", "Enheter och skrivare"),
    "email": ("Email and calendar", "E-post och kalender"),
    "apps": ("Apps and reports", "Appar och rapporter"),
}
# (English object, Swedish object) per category: what an article is about.
OBJECTS = {
    "accounts": [
        ("password", "lösenord"),
        ("two-factor code", "tvåstegskod"),
        ("account", "konto"),
        ("username", "användarnamn"),
        ("profile", "profil"),
        ("single sign-on", "enkel inloggning"),
        ("security key", "säkerhetsnyckel"),
        ("login link", "inloggningslänk"),
    ],
    "billing": [
        ("invoice", "faktura"),
        ("refund", "återbetalning"),
        ("payment card", "betalkort"),
        ("subscription", "prenumeration"),
        ("receipt", "kvitto"),
        ("VAT number", "momsnummer"),
        ("discount code", "rabattkod"),
        ("billing address", "fakturaadress"),
    ],
    "network": [
        ("VPN", "VPN"),
        ("wifi", "wifi"),
        ("proxy", "proxy"),
        ("firewall", "brandvägg"),
        ("router", "router"),
        ("DNS", "DNS"),
        ("network drive", "nätverksenhet"),
        ("certificate", "certifikat"),
    ],
    "devices": [
        ("printer", "skrivare"),
        ("laptop", "bärbar dator"),
        ("monitor", "skärm"),
        ("headset", "headset"),
        ("docking station", "dockningsstation"),
        ("webcam", "webbkamera"),
        ("scanner", "skanner"),
        ("keyboard", "tangentbord"),
    ],
    "email": [
        ("mailbox", "brevlåda"),
        ("calendar", "kalender"),
        ("shared mailbox", "delad brevlåda"),
        ("signature", "signatur"),
        ("out-of-office reply", "frånvaromeddelande"),
        ("spam filter", "skräppostfilter"),
        ("distribution list", "distributionslista"),
        ("meeting room", "mötesrum"),
    ],
    "apps": [
        ("report", "rapport"),
        ("dashboard", "instrumentpanel"),
        ("export", "export"),
        ("mobile app", "mobilapp"),
        ("integration", "integration"),
        ("API token", "API-nyckel"),
        ("browser extension", "webbläsartillägg"),
        ("spreadsheet import", "kalkylarksimport"),
    ],
}
TASKS = [
    ("How to reset your {o}", "Så återställer du {o}"),
    ("Set up your {o} on Windows", "Konfigurera {o} i Windows"),
    ("Set up your {o} on a Mac", "Konfigurera {o} på Mac"),
    ("{O} is not working", "{O} fungerar inte"),
    ("Change the settings of your {o}", "Ändra inställningarna för {o}"),
    ("Why was my {o} rejected?", "Varför nekades {o}?"),
    ("Troubleshoot a slow {o}", "Felsök långsam {o}"),
    ("Request a new {o}", "Beställ ny {o}"),
    ("Share your {o} with a colleague", "Dela {o} med en kollega"),
    ("Error message about your {o}", "Felmeddelande om {o}"),
    ("Move your {o} to a new computer", "Flytta {o} till en ny dator"),
    ("What happens to your {o} when you leave", "Vad händer med {o} när du slutar"),
    ("Use your {o} from home", "Använd {o} hemifrån"),
    ("Remove an old {o}", "Ta bort gammal {o}"),
]
CONTEXTS = [
    ("", ""),
    (" after an update", " efter en uppdatering"),
    (" on your phone", " i mobilen"),
    (" for a new employee", " för en ny medarbetare"),
    (" abroad", " utomlands"),
    (" in the office", " på kontoret"),
    (" with Outlook", " med Outlook"),
]
SENTENCES_EN = [
    "Most problems with the {o} go away after you sign out and sign in again.",
    "Open Settings, choose {c} and select the {o} you want to change.",
    "If you see an error message, write down the exact text before you contact us.",
    "Your administrator may have turned this off for your organization.",
    "Changes can take up to fifteen minutes to reach every device.",
    "Restart the computer and try again before you file a request.",
    "The {o} works the same way on Windows, macOS and in the browser.",
    "You need the latest version of the app; older versions are not supported.",
    "Make sure you are connected to the company network or the VPN.",
    "Ask a colleague whether the {o} works for them; if not, it is probably an outage.",
    "Check the status page for planned maintenance.",
    "When the {o} still fails, file a request and attach a screenshot.",
]
SENTENCES_SV = [
    "De flesta problem med {o} försvinner om du loggar ut och loggar in igen.",
    "Öppna Inställningar, välj {c} och markera {o} som du vill ändra.",
    "Om du får ett felmeddelande, skriv ner den exakta texten innan du kontaktar oss.",
    "Din administratör kan ha stängt av det här för din organisation.",
    "Det kan ta upp till femton minuter innan ändringen syns på alla enheter.",
    "Starta om datorn och försök igen innan du skickar ett ärende.",
    "Kontrollera driftstatussidan för planerat underhåll.",
    "Se till att du är ansluten till företagets nätverk eller till VPN.",
    "Fråga en kollega om {o} fungerar för dem; annars är det troligen en driftstörning.",
    "Om {o} fortfarande inte fungerar, skicka ett ärende och bifoga en skärmbild.",
]
THREAD_TITLES = [
    "Anyone else having trouble with the {o}?",
    "Tip: faster way to set up the {o}",
    "{O} stopped working this morning",
    "Best practice for the {o} in a small team",
    "Problem med {o} sedan i går",
    "Hur gör ni med {o}?",
]
SEARCHES = [
    "reset password",
    "vpn",
    "printer not working",
    "invoice",
    "refund",
    "wifi slow",
    "two-factor code",
    "shared mailbox",
    "export report",
    "set up vpn on mac",
    "out-of-office reply",
    "docking station monitor",
    "why was my payment card rejected",
    "certificate error",
    "calendar",
    "change billing address",
    "api token",
    "lösenord",
    "faktura",
    "skrivare fungerar inte",
    "återställ lösenord",
    "brevlåda",
    "pasword",
    "invocie",
    "printr",
    "how do I move my mailbox to a new computer",
    "error message",
    "new employee laptop",
    "dns",
    "spam filter",
]
TYPING = [
    (
        "Cannot connect to the VPN from home",
        "Since this morning the VPN says certificate error when I try from my home wifi.",
    ),
    (
        "Invoice shows the wrong VAT number",
        "Our last invoice has an old VAT number and billing address, please correct it.",
    ),
    ("Printer is offline", "The printer on floor 3 shows offline for everyone since the update."),
    ("Glömt lösenord", "Jag har glömt mitt lösenord och tvåstegskoden kommer inte fram."),
    (
        "How do I share my calendar",
        "I want my colleague to see my calendar and book meetings for me.",
    ),
]


def log(msg: str) -> None:
    print(f"[kb-bench] {msg}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--articles", type=int, default=10_000, help="article language versions")
    p.add_argument("--threads", type=int, default=500, help="forum threads")
    p.add_argument("--samples", type=int, default=200, help="timed requests per metric")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--skip-reindex", action="store_true", help="do not time search_reindex")
    p.add_argument("--reseed", action="store_true", help="replace the bench articles")
    return p.parse_args()


def percentile(values: list[float], q: float) -> float:
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


# --- text ------------------------------------------------------------------------------------


def _body(rng: random.Random, sentences: list[str], obj: str, category: str, sv: bool) -> str:
    steps_title = "## Steg" if sv else "## Steps"
    more = "## Om det inte hjälper" if sv else "## If that does not help"
    intro = " ".join(rng.sample(sentences, 3)).format(o=obj, c=category)
    steps = "\n".join(
        f"{n}. {s.format(o=obj, c=category)}"
        for n, s in enumerate(rng.sample(sentences, rng.randint(3, 6)), 1)
    )
    outro = " ".join(rng.sample(sentences, 2)).format(o=obj, c=category)
    return f"{intro}\n\n{steps_title}\n\n{steps}\n\n{more}\n\n{outro}\n"


def article_specs(count: int) -> list[dict]:
    """Deterministic article groups: (category, title, bodies) for ``count`` versions."""
    rng = random.Random(6)
    groups = []
    n = 0
    combos = [
        (cat, obj, task, ctx)
        for cat, objects in OBJECTS.items()
        for obj in objects
        for task in TASKS
        for ctx in CONTEXTS
    ]
    while n < count:
        cat, (o_en, o_sv), (t_en, t_sv), (c_en, c_sv) = combos[len(groups) % len(combos)]
        round_no = len(groups) // len(combos)
        suffix = f" ({round_no + 1})" if round_no else ""
        en_cat, sv_cat = CATEGORIES[cat]
        title_en = t_en.format(o=o_en, O=o_en[:1].upper() + o_en[1:]) + c_en + suffix
        spec = {
            "category": cat,
            "en": (title_en, _body(rng, SENTENCES_EN, o_en, en_cat, False)),
            "sv": None,
            "tags": [o_en.replace(" ", "-").lower(), cat],
        }
        n += 1
        if len(groups) % SV_SHARE == 0 and n < count:
            title_sv = t_sv.format(o=o_sv, O=o_sv[:1].upper() + o_sv[1:]) + c_sv + suffix
            spec["sv"] = (title_sv, _body(rng, SENTENCES_SV, o_sv, sv_cat, True))
            n += 1
        groups.append(spec)
    return groups


# --- seeding ---------------------------------------------------------------------------------


def migrate() -> None:
    from django.core.management import call_command

    for app in ("knowledge", "community"):
        call_command("migrate", app, verbosity=0)


def seeded_count() -> int:
    from frontdesk.knowledge.models import Article

    return Article.objects.filter(group__section__category__slug__startswith=PREFIX).count()


def bench_delete() -> None:
    from frontdesk.community.models import ForumCategory, Post, Topic
    from frontdesk.knowledge.models import ArticleGroup, Category, Section

    Topic.objects.filter(category__slug__startswith=PREFIX).update(accepted_post=None)
    Post.objects.filter(topic__category__slug__startswith=PREFIX).delete()
    Topic.objects.filter(category__slug__startswith=PREFIX).delete()
    ForumCategory.objects.filter(slug__startswith=PREFIX).delete()
    ArticleGroup.objects.filter(section__category__slug__startswith=PREFIX).delete()
    Section.objects.filter(category__slug__startswith=PREFIX).delete()
    Category.objects.filter(slug__startswith=PREFIX).delete()


def seed_articles(count: int) -> None:
    from django.db import transaction

    from frontdesk.accounts.models import User
    from frontdesk.core import clock
    from frontdesk.customers.models import Organization
    from frontdesk.knowledge.markdown import html_text, markdown_render, slugify
    from frontdesk.knowledge.models import (
        Article,
        ArticleGroup,
        Category,
        Revision,
        Section,
        Status,
        Tag,
        ViewCount,
    )

    rng = random.Random(61)
    author = User.objects.filter(email="alice@example.com").first()
    org_ids = list(Organization.objects.order_by("pk").values_list("pk", flat=True)[:300])
    now = clock.now()
    specs = article_specs(count)
    with transaction.atomic():
        sections = {}
        for position, (key, (name, _sv)) in enumerate(CATEGORIES.items()):
            category = Category.objects.create(
                name=name, slug=f"{PREFIX}{key}", description="", position=100 + position
            )
            sections[key] = [
                Section.objects.create(
                    category=category, name=f"{name} {n}", slug=f"{PREFIX}{key}-{n}", position=n
                )
                for n in range(1, 5)
            ]
        tags = {}
        for spec in specs:
            for name in spec["tags"]:
                if name not in tags:
                    tags[name] = Tag.objects.get_or_create(name=slugify(name)[:60])[0]
        groups = []
        for spec in specs:
            roll = rng.random()
            visibility, acc = "public", 0.0
            for name, share in AUDIENCE:
                acc += share
                if roll < acc:
                    visibility = name
                    break
            spec["visibility"] = visibility
            groups.append(
                ArticleGroup(
                    section=rng.choice(sections[spec["category"]]),
                    visibility=visibility,
                    source_language="en",
                    created_at=now - timedelta(days=rng.randint(1, 1500)),
                )
            )
        ArticleGroup.objects.bulk_create(groups, batch_size=2000)
        through_tags = ArticleGroup.tags.through
        through_orgs = ArticleGroup.organizations.through
        tag_rows, org_rows = [], []
        for group, spec in zip(groups, specs, strict=True):
            tag_rows += [
                through_tags(articlegroup_id=group.pk, tag_id=tags[t].pk) for t in spec["tags"]
            ]
            if spec["visibility"] == "organizations" and org_ids:
                org_rows += [
                    through_orgs(articlegroup_id=group.pk, organization_id=o)
                    for o in rng.sample(org_ids, min(3, len(org_ids)))
                ]
        through_tags.objects.bulk_create(tag_rows, batch_size=5000)
        through_orgs.objects.bulk_create(org_rows, batch_size=5000)
        articles = []
        for number, (group, spec) in enumerate(zip(groups, specs, strict=True)):
            status = Status.DRAFT if rng.random() < DRAFT_SHARE else Status.PUBLISHED
            for language in ("en", "sv"):
                if spec[language] is None:
                    continue
                title, body = spec[language]
                html = markdown_render(body)
                articles.append(
                    Article(
                        group=group,
                        language=language,
                        title=title,
                        slug=f"{slugify(title)[:180]}-{PREFIX}{number}",
                        body_md=body,
                        body_html=html,
                        body_text=html_text(html),
                        status=status,
                        published_at=group.created_at if status == Status.PUBLISHED else None,
                        version=1,
                        source_version=1,
                        author=author,
                        created_at=group.created_at,
                        updated_at=group.created_at,
                        helpful_yes=rng.randint(0, 40),
                        helpful_no=rng.randint(0, 10),
                    )
                )
        Article.objects.bulk_create(articles, batch_size=2000)
        Revision.objects.bulk_create(
            [
                Revision(
                    article=a,
                    number=1,
                    title=a.title,
                    body_md=a.body_md,
                    author=author,
                    note="Created",
                    created_at=a.created_at,
                )  # fmt: skip
                for a in articles
            ],
            batch_size=2000,
        )
        ViewCount.objects.bulk_create(
            [
                ViewCount(article=a, shard=0, count=int(rng.paretovariate(1.2) * 10))
                for a in articles
            ],
            batch_size=5000,
        )
    log(f"seeded {len(articles):,} article versions in {len(groups):,} groups")


def seed_threads(count: int) -> None:
    from django.db import transaction

    from frontdesk.accounts.models import User
    from frontdesk.community.models import ForumCategory, Post, PostStatus, Topic
    from frontdesk.core import clock
    from frontdesk.knowledge.markdown import markdown_render

    if count <= 0:
        return
    rng = random.Random(62)
    authors = list(
        User.objects.filter(role="customer").order_by("pk").values_list("pk", flat=True)[:500]
    )
    agent = User.objects.filter(email="alice@example.com").values_list("pk", flat=True).first()
    if not authors or agent is None:
        log("no customers or agents to write forum threads; skipping them")
        return
    now = clock.now()
    objects = [o for objs in OBJECTS.values() for o in objs]
    with transaction.atomic():
        board = ForumCategory.objects.create(name="Bench questions", slug=f"{PREFIX}forum")
        topics, bodies = [], []
        for _n in range(count):
            o_en, o_sv = rng.choice(objects)
            pattern = rng.choice(THREAD_TITLES)
            obj = o_sv if pattern[0] in "PH" and "med" in pattern else o_en
            at = now - timedelta(days=rng.randint(1, 700))
            topics.append(
                Topic(
                    category=board,
                    title=pattern.format(o=obj, O=obj[:1].upper() + obj[1:]),
                    author_id=rng.choice(authors),
                    language="sv" if obj == o_sv and o_sv != o_en else "en",
                    created_at=at,
                    last_post_at=at,
                    reply_count=1,
                )
            )
            sentences = SENTENCES_SV if obj == o_sv and o_sv != o_en else SENTENCES_EN
            bodies.append([" ".join(rng.sample(sentences, 3)).format(o=obj, c="") for _ in (0, 1)])
        Topic.objects.bulk_create(topics, batch_size=2000)
        posts = []
        for topic, (question, answer) in zip(topics, bodies, strict=True):
            for first, text, author in ((True, question, topic.author_id), (False, answer, agent)):
                posts.append(
                    Post(
                        topic=topic,
                        author_id=author,
                        body_md=text,
                        body_html=markdown_render(text),
                        status=PostStatus.VISIBLE,
                        is_first=first,
                        by_agent=not first,
                        created_at=topic.created_at,
                    )  # fmt: skip
                )
        Post.objects.bulk_create(posts, batch_size=2000)
    log(f"seeded {count:,} forum threads")


def timed(label: str, fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    seconds = time.perf_counter() - t0
    log(f"{label}: {seconds:.1f} s")
    return seconds


# --- measuring -------------------------------------------------------------------------------


def sample(name: str, urls: list[str], client, *, warmup: int, samples: int) -> list[float]:  # type: ignore[no-untyped-def]
    for url in urls[:warmup]:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{name}: {url} answered {response.status_code}")
    times = []
    for n in range(samples):
        url = urls[n % len(urls)]
        t0 = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{name}: {url} answered {response.status_code}")
    return times


def measure(args: argparse.Namespace) -> dict[str, float]:
    from urllib.parse import urlencode

    from django.test import Client

    from frontdesk.accounts.models import User

    customer = (
        User.objects.filter(role="customer", organization__isnull=False, is_active=True)
        .order_by("pk")
        .first()
    )
    readers = {"anon": Client()}
    if customer is not None:
        signed_in = Client()
        signed_in.force_login(customer)
        readers["customer"] = signed_in
    search_urls = [f"/kb/search/?{urlencode({'q': q})}" for q in SEARCHES]
    suggest_urls = []
    for n, (subject, body) in enumerate(TYPING):
        # What the form sends as the customer types: the subject word by word, then the
        # description two words at a time (htmx waits for a pause; each pause is a request).
        steps = [(" ".join(subject.split()[:i]), "") for i in range(1, len(subject.split()) + 1)]
        words = body.split()
        steps += [(subject, " ".join(words[:i])) for i in range(2, len(words) + 1, 2)]
        suggest_urls += [
            "/kb/suggest/?"
            + urlencode({"subject": s, "body": b, "form_session": f"bench-typing-{n}"})
            for s, b in steps
        ]
    from frontdesk.knowledge import search as kb

    results: dict[str, float] = {}
    # Other apps may re-rank every help-center search (the AI app fuses semantic similarity
    # in when its model is installed): time the help center as it runs, then purely lexical.
    rankers = [getattr(fn, "__qualname__", repr(fn)) for fn in kb._rankers]
    results["kb_rankers"] = ", ".join(rankers) or "none"  # type: ignore[assignment]
    results.update(_measure_mode(readers, search_urls, suggest_urls, args, suffix=""))
    if rankers:
        with kb.rankers_paused():
            results.update(
                _measure_mode(readers, search_urls, suggest_urls, args, suffix="_lexical")
            )
    return results


def _measure_mode(readers, search_urls, suggest_urls, args, *, suffix: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    results: dict[str, float] = {}
    all_search: list[float] = []
    all_suggest: list[float] = []
    for who, client in readers.items():
        times = sample("search", search_urls, client, warmup=args.warmup, samples=args.samples)
        results[f"kb_search{suffix}_{who}_p50_ms"] = round(percentile(times, 0.5), 1)
        results[f"kb_search{suffix}_{who}_p95_ms"] = round(percentile(times, 0.95), 1)
        all_search += times
        log(
            f"search{suffix} as {who}: p50 {percentile(times, 0.5):.1f} ms,"
            f" p95 {percentile(times, 0.95):.1f} ms (load {load()})"
        )
        times = sample("suggest", suggest_urls, client, warmup=args.warmup, samples=args.samples)
        results[f"kb_suggest{suffix}_{who}_p50_ms"] = round(percentile(times, 0.5), 1)
        results[f"kb_suggest{suffix}_{who}_p95_ms"] = round(percentile(times, 0.95), 1)
        all_suggest += times
        log(
            f"suggest{suffix} as {who}: p50 {percentile(times, 0.5):.1f} ms,"
            f" p95 {percentile(times, 0.95):.1f} ms (load {load()})"
        )
    results[f"kb_search{suffix}_p50_ms"] = round(percentile(all_search, 0.5), 1)
    results[f"kb_search{suffix}_p95_ms"] = round(percentile(all_search, 0.95), 1)
    results[f"kb_suggest{suffix}_p50_ms"] = round(percentile(all_suggest, 0.5), 1)
    results[f"kb_suggest{suffix}_p95_ms"] = round(percentile(all_suggest, 0.95), 1)
    return results


def reindex_tickets() -> float:
    """``manage.py search_reindex`` in its own process, as an operator would run it."""
    t0 = time.perf_counter()
    done = subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "manage.py"), "search_reindex"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        check=False,
    )
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"search_reindex failed with exit code {done.returncode}")
    return seconds


def load() -> str:
    """The 1, 5 and 15 minute load averages (other work shares the machine)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main() -> int:
    args = parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        log("set DATABASE_URL to a PostgreSQL database seeded by bench/seed.py")
        return 2
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import override_settings

    from frontdesk.knowledge.search import kb_reindex

    # The test Client's host, and static file URLs without a collectstatic manifest.
    override_settings(
        ALLOWED_HOSTS=["testserver"],
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ).enable()
    out: dict[str, object] = {"load_before": load()}
    migrate()
    have = seeded_count()
    if args.reseed or have != args.articles:
        if have:
            log(f"replacing {have:,} bench article versions")
            bench_delete()
        out["kb_seed_s"] = round(
            timed("seed", lambda: (seed_articles(args.articles), seed_threads(args.threads))), 1
        )
        out["kb_index_s"] = round(timed("help-center index", kb_reindex), 1)
    else:
        log(f"{have:,} bench article versions already there")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE knowledge_article")
        cursor.execute("ANALYZE knowledge_articlegroup")
        cursor.execute("ANALYZE knowledge_search_doc")
        cursor.execute("SELECT count(*) FROM knowledge_search_doc")
        out["kb_index_docs"] = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM tickets_ticket")
        out["tickets"] = cursor.fetchone()[0]
    from frontdesk.knowledge.models import Article

    out["kb_articles"] = Article.objects.count()
    out.update(measure(args))
    if not args.skip_reindex:
        connection.close()
        log(f"search_reindex over {out['tickets']:,} tickets (minutes) ...")
        out["reindex_1m_s"] = round(reindex_tickets(), 1)
        log(f"reindex: {out['reindex_1m_s']} s")
    out["load_after"] = load()
    print(json.dumps(out, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
