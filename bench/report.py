"""Write docs/benchmarks.md from one benchmark run (pure formatting, no I/O but the write)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# metric -> (operation, unit, target, higher is better)
TARGETS: dict[str, tuple[float, bool]] = {
    "queue_view_p95_ms": (100, False),
    "ticket_page_p95_ms": (50, False),
    "api_ticket_create_per_s": (300, True),
    "api_ticket_list_p95_ms": (60, False),
    "ticket_search_p95_ms": (150, False),
}
# Capability benchmarks (bench/*_bench.py, run by bench/run.py after the request timings):
# metric -> (label, unit, target, higher is better, issue)
CAPABILITIES: list[tuple[str, str, str, float, bool]] = [
    ("mail_ingest_per_s", "Mail ingest from a local Dovecot, one worker", "mails/s", 200, True),
    ("sla_scan_idle_ms", "SLA scanner pass, nothing due (1M open-ticket table)", "ms", 50, False),
    ("sla_scan_10k_due_s", "SLA scanner pass finding 10,000 due tickets", "s", 5, False),
    ("sla_recompute_ms", "SLA recompute of one ticket with 200 events", "ms", 5, False),
    ("kb_search_p95_ms", "Help-center search, p95 (10,000 articles)", "ms", 50, False),
    ("kb_suggest_p95_ms", "Deflection suggestions while typing, p95", "ms", 80, False),
    ("reindex_1m_s", "Full ticket search reindex (all tickets)", "s", 600, False),
    ("dashboard_90d_ms", "Supervisor dashboard, 90 days", "ms", 500, False),
    ("report_year_ms", "Grouped report over one year", "ms", 1000, False),
    ("rules_eval_200_ms", "Evaluating 200 active triggers on one event", "ms", 5, False),
    ("automation_pass_1m_s", "Hourly automation pass over all tickets", "s", 30, False),
    ("bot_answer_p95_ms", "Answer bot, question to passage, p95", "ms", 150, False),
    ("triage_predict_p95_ms", "Triage prediction for one ticket, p95", "ms", 30, False),
    ("similar_tickets_p95_ms", "Similar tickets among 1,000,000, p95", "ms", 100, False),
    ("embed_tickets_per_s", "Ticket embedding throughput (2 cores)", "tickets/s", 100, True),
]
TARGETS.update({name: (target, higher) for name, _l, _u, target, higher in CAPABILITIES})
OPERATIONS = [
    ("queue_view", "Queue view, page 1 with sidebar counts", "GET /desk/views/<My open tickets>/",
     "GET /helpdesk/tickets/ + its datatables JSON (page 1, 25 rows)"),
    ("ticket_page", "Ticket page with 20 messages", "GET /desk/tickets/<n>/",
     "GET /helpdesk/tickets/<id>/ (20 follow-ups)"),
    ("api_ticket_list", "API ticket list (first page)", "GET /api/v1/tickets/ (25, token)",
     "GET /helpdesk/api/tickets/"),
    ("ticket_search", "Search by word", "GET /desk/search/?q=<word> (5 words, rotating)",
     "agent ticket list filtered by the word (datatables search)"),
]
EXTRA = [
    ("queue_view_all_open", "Queue view \"All open\" (Alice: her teams + unowned)"),
    ("ticket_search_common_word", "Search for a word in almost every ticket"),
]


def fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}" if value < 10_000 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def verdict(name: str, value: Any) -> str:
    if name not in TARGETS:
        return ""
    target, higher = TARGETS[name]
    if value is None:
        return "not measured"
    ok = value >= target if higher else value < target
    return "met" if ok else "**missed**"


def pct(value: Any) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def quality(r: dict[str, Any]) -> list[str]:
    """Answer quality of the offline intelligence (bench/ai_bench.py), beside its targets."""
    if r.get("kb_top1") is None and r.get("banking77_cv_accuracy") is None:
        return []
    acc, prec = r.get("banking77_cv_accuracy"), r.get("banking77_cv_precision_at_80")
    train = r.get("banking77_train_s_per_fold")
    return [
        "",
        "## Answer quality",
        "",
        "The answer bot on the GNOME help center (English articles of ../shared/corpus/kb) "
        f"for the question set in frontdesk/ai/tests/data/kb_questions.jsonl "
        f"({fmt(r.get('kb_answerable'))} answerable, {fmt(r.get('kb_unanswerable'))} the "
        "help center does not answer), at the default confidence threshold:",
        "",
        "| | semantic (model) | lexical fallback |",
        "|---|---:|---:|",
        f"| right article first (top-1) | {pct(r.get('kb_top1'))} | "
        f"{pct(r.get('kb_lexical_top1'))} |",
        f"| right article in the top 3 | {pct(r.get('kb_top3'))} | "
        f"{pct(r.get('kb_lexical_top3'))} |",
        f"| declined when the help center has no answer | "
        f"{pct(r.get('kb_declined_when_unanswerable'))} | |",
        f"| declined although it had the answer (false decline) | "
        f"{pct(r.get('kb_false_decline'))} | |",
        "",
        "Ticket triage on ../shared/corpus/tickets/banking77/train.csv, 5-fold "
        "cross-validation (TF-IDF words and characters plus MiniLM embeddings, linear SVM):",
        "",
        "| | measured | target | |",
        "|---|---:|---|---|",
        f"| accuracy | {pct(acc)} | ≥ 94 % | "
        f"{'met' if acc is not None and acc >= 0.94 else '**missed**'} |",
        f"| precision at 80 % coverage | {pct(prec)} | ≥ 98 % | "
        f"{'met' if prec is not None and prec >= 0.98 else '**missed**'} |",
        f"| training time per fold | {fmt(train)} s | < 300 s | "
        f"{'met' if train is not None and train < 300 else '**missed**'} |",
    ]


def render(run: dict[str, Any]) -> str:
    r = run["results"]
    m = run["machine"]
    seed = run["seed"]
    meta = run.get("measure_meta", {})
    peer_note = run.get("peer_note", "")
    lines = [
        "# Benchmarks",
        "",
        "Frontdesk against django-helpdesk on the same machine, the same PostgreSQL server "
        "and the same data size, in one run of `make bench`. Generated by `bench/run.py`; "
        "edit that, not this file.",
        "",
        "## Run",
        "",
        f"- Date: {run['date']}",
        f"- Machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gb']} GB memory",
        f"- PostgreSQL {m['pg_version']}, durable settings (fsync, full_page_writes, "
        f"synchronous_commit on); {m['pg_settings']}",
        f"- Data: {fmt(seed['counts'].get('tickets'))} tickets, "
        f"{fmt(seed['counts'].get('messages'))} messages, "
        f"{fmt(seed['counts'].get('events'))} ticket events, "
        f"{fmt(seed['counts'].get('customers'))} customers in 300 organizations; "
        f"{fmt(seed['counts'].get('open'))} tickets open, the rest solved or closed; "
        f"database {seed.get('database_bytes', 0) / 1e9:.1f} GB",
        f"- Frontdesk seed: **{seed['seed_seconds'] / 60:.1f} min** "
        f"({', '.join(f'{k} {v:.0f} s' for k, v in seed['timings'].items())})",
        f"- Servers: Frontdesk on uvicorn with {fmt(r.get('workers'))} workers (ASGI, as "
        "`make run` serves it); django-helpdesk on gunicorn with "
        f"{fmt(r.get('peer_workers'))} sync workers (WSGI, its documented deployment). One "
        "worker per core; requests are sequential, so the worker count bounds nothing here.",
        f"- Load average (1 min) while Frontdesk was measured: "
        f"{fmt(r.get('load_avg_at_start'))} at the start, {fmt(r.get('load_avg_at_end'))} at "
        "the end, on 2 cores. Anything above ~1 means other processes (other test runs on "
        "the same machine) competed for the CPUs and every figure is inflated by it.",
        f"- Command: `{run['command']}`",
        "",
        "## Results",
        "",
        "| Operation | Frontdesk p50 | Frontdesk p95 | django-helpdesk p50 | "
        "django-helpdesk p95 | Target (Frontdesk) | |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for key, label, _ours, _theirs in OPERATIONS:
        target = TARGETS.get(f"{key}_p95_ms")
        lines.append(
            f"| {label} | {fmt(r.get(f'{key}_p50_ms'))} ms | {fmt(r.get(f'{key}_p95_ms'))} ms | "
            f"{fmt(r.get(f'peer_{key}_p50_ms'))} ms | {fmt(r.get(f'peer_{key}_p95_ms'))} ms | "
            f"p95 < {target[0]:.0f} ms | {verdict(f'{key}_p95_ms', r.get(f'{key}_p95_ms'))} |"
            if target else "")
    lines.append(
        f"| API ticket create (sequential) | {fmt(r.get('api_ticket_create_per_s'))} /s | | "
        f"{fmt(r.get('peer_api_ticket_create_per_s'))} /s | | ≥ 300 /s | "
        f"{verdict('api_ticket_create_per_s', r.get('api_ticket_create_per_s'))} |")
    lines += ["", "Frontdesk only:", ""]
    if r.get("api_ticket_create_concurrent8_per_s") is not None:
        lines.append("- API ticket create with 8 clients at once: "
                     f"{fmt(r.get('api_ticket_create_concurrent8_per_s'))} /s")
    cpu = [r.get(f"api_ticket_create_cpu_{part}_ms") for part in ("web", "db", "client")]
    if None not in cpu:
        total = sum(cpu)  # type: ignore[arg-type]
        cores = m.get("cpus") or 0
        ceiling = f"; so {cores} busy cores allow at most {cores * 1000 / total:.0f} creates/s" \
            if cores and total else ""
        floor_cpu = r.get("floor_api_insert_concurrent8_cpu_ms")
        lines.append(
            "- CPU time per create during the 8-client run (from /proc): web server "
            f"{fmt(cpu[0])} ms, PostgreSQL {fmt(cpu[1])} ms, benchmark clients {fmt(cpu[2])} ms,"
            f" {total:.1f} ms in all{ceiling}"
            + (f" (the one-INSERT route below: {fmt(floor_cpu)} ms a request)."
               if floor_cpu is not None else "."))
    if r.get("floor_api_insert_per_s") is not None:
        lines.append(
            "- What the stack itself allows here (bare routes served the same way: uvicorn, "
            "the same workers, middleware and token authentication; `bench/floor_urls.py`): "
            f"a plain Django view {fmt(r.get('floor_django_noop_per_s'))} /s; a "
            "token-authenticated DRF POST that parses JSON and writes nothing "
            f"{fmt(r.get('floor_api_noop_per_s'))} /s; the same with one durable INSERT "
            f"{fmt(r.get('floor_api_insert_per_s'))} /s "
            f"({fmt(r.get('floor_api_insert_concurrent8_per_s'))} /s with 8 clients). An API "
            "create, which also validates the payload, writes the ticket, its message, events "
            "and outbox rows and answers with the whole ticket, can be no faster than the "
            "one-INSERT figure.")
    for key, label in EXTRA:
        lines.append(f"- {label}: p50 {fmt(r.get(f'{key}_p50_ms'))} ms, "
                     f"p95 {fmt(r.get(f'{key}_p95_ms'))} ms")
    if peer_note:
        lines += ["", f"django-helpdesk: {peer_note}"]
    measured = [c for c in CAPABILITIES if c[0] in r or f"peer_{c[0]}" in r]
    if measured:
        lines += [
            "",
            "## Capabilities",
            "",
            "Measured by the capability scripts in `bench/` on the same seeded database "
            "(see each script's docstring for exactly what it times).",
            "",
            "| Operation | Frontdesk | django-helpdesk | Target | |",
            "|---|---:|---:|---|---|",
        ]
        for name, label, unit, target, higher in measured:
            peer = r.get(f"peer_{name}")
            lines.append(
                f"| {label} (`{name}`) | {fmt(r.get(name))} {unit} | "
                f"{fmt(peer) + ' ' + unit if peer is not None else '—'} | "
                f"{'≥' if higher else '<'} {fmt(target)} {unit} | {verdict(name, r.get(name))} |"
            )
    if run.get("capability_notes"):
        lines += ["", *[f"- {note}" for note in run["capability_notes"]]]
    lines += quality(r)
    ours, theirs = r.get("mail_ingest_per_s"), r.get("peer_mail_ingest_per_s")
    if ours and theirs:
        lines += ["", f"Mail ingest: Frontdesk {ours / theirs:.1f}x django-helpdesk's "
                  "`get_email` on the same mails (target: at least 3x)."]
    hits = meta.get("hits", {})
    lines += [
        "",
        "## What each metric measures",
        "",
        "All requests are made one after another over one keep-alive connection from the "
        "same machine (loopback), after warm-up requests; p50/p95 interpolate between ranks. "
        "Up to 50 timed requests per metric (fewer when a metric passes 60 s; django-helpdesk "
        "takes 40 with its own caps because some of its pages take seconds). Times are "
        "whole request round trips: routing, auth, queries, template rendering.",
        "",
    ]
    for key, label, ours, theirs in OPERATIONS:
        lines.append(f"- **{label}** (`{key}_p50_ms`, `{key}_p95_ms`): Frontdesk `{ours}`; "
                     f"django-helpdesk {theirs}.")
    lines += [
        "- **API ticket create** (`api_ticket_create_per_s`): 200 sequential "
        "`POST /api/v1/tickets/` with a personal token (Alice, for an existing customer), "
        "divided into the wall time. Each create writes the ticket, its first message, "
        "events and outbox rows in one transaction and commits durably. No job worker runs, "
        "so the outbox (search indexing, notifications) is queued, not processed.",
        "- The queue view is Alice's \"My open tickets\" "
        f"({fmt(meta.get('alice_open'))} tickets), and every desk page also counts the six "
        "shared views in the sidebar (six COUNT queries).",
        "- Search words and how many tickets each matches: "
        + ", ".join(f"`{w}` {fmt(hits.get(w))}" for w in meta.get("search_words", []))
        + f"; the common-word case uses `{meta.get('common_word', '')}` "
        f"({fmt(hits.get(meta.get('common_word', '')))} tickets).",
        "",
        "## Rerun",
        "",
        "```sh",
        "make bench            # 1,000,000 tickets (seed ~15 min, then both measurements)",
        "make bench QUICK=1    # 100,000 tickets",
        ".venv/bin/python bench/run.py --skip-seed   # measure again on the seeded databases",
        "```",
        "",
        "The benchmark runs its own PostgreSQL (data in `/tmp/frontdesk-bench-pg`, port "
        "54339; `FRONTDESK_BENCH_PG_DIR`, `FRONTDESK_BENCH_PG_PORT`), not the test server of "
        "`scripts/pg.sh`, which runs with fsync off. Raw numbers: `bench/results.json`. "
        "A remeasure on an earlier seed (`--skip-seed`) first runs `VACUUM (ANALYZE)` on "
        "both helpdesks' databases, the state a seed ends in: earlier runs' creates and "
        "updates would otherwise leave stale visibility maps behind and slow the counts "
        "a little more with every run.",
        "",
    ]
    if run.get("notes"):
        lines += ["## Notes", "", *[f"- {n}" for n in run["notes"]], ""]
    return "\n".join(line for line in lines if line is not None) + "\n"


def write(path: Path, run: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(run), encoding="utf-8")
