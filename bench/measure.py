#!/usr/bin/env python
"""Time Frontdesk's hot paths against a seeded database (see bench/seed.py).

    DATABASE_URL=postgresql://... FRONTDESK_SECRET_KEY=... python bench/measure.py --out f.json

Serves Frontdesk the production way (uvicorn, FRONTDESK_DEBUG=0, collected static files,
ALLOWED_HOSTS 127.0.0.1) on a free loopback port, signs in as Alice through the allauth
login form, and times requests one after another over one keep-alive connection
(http.client: no extra package). Each metric: warm-up requests, then up to --samples
timed ones, stopping early after --time-cap seconds. Prints one JSON object
(metric -> number) on stdout; progress and word hit counts go to stderr and to --meta.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from procstat import proc_stat  # bench/ is the script's directory

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Words of different frequency in the seeded text (bench/seed.py TOPICS/RARE_WORD).
SEARCH_WORDS = ["printer", "invoice", "vpn", "firmware", "zeppelin"]
# A word in nearly every ticket: the worst case for ranking, reported on its own.
COMMON_WORD = "please"
AGENT_EMAIL = "alice@example.com"


def log(msg: str) -> None:
    print(f"[measure] {msg}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", help="also write the JSON result here")
    p.add_argument("--meta", help="write details (words, hit counts, ticket numbers) here")
    p.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    p.add_argument("--samples", type=int, default=50)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--time-cap", type=float, default=60.0, help="seconds per metric")
    p.add_argument("--creates", type=int, default=200)
    return p.parse_args()


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default, as the peer uses)."""
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


class Client:
    """One keep-alive HTTP/1.1 connection with a cookie jar; reconnects if the server closes."""

    def __init__(self, port: int, timeout: float = 300.0) -> None:
        self.port, self.timeout = port, timeout
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        all_headers = {"Host": "127.0.0.1", "Accept-Encoding": "identity", **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                       timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=all_headers)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        for raw in resp.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(raw)
            for key, morsel in jar.items():
                self.cookies[key] = morsel.value
        return resp.status, dict(resp.headers), data

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        status, _h, data = self.request("GET", path, headers=headers)
        return status, data


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "FRONTDESK_DEBUG": "0",
        "FRONTDESK_ALLOWED_HOSTS": "127.0.0.1",
        "FRONTDESK_LOG_LEVEL": "WARNING",
    })
    env.setdefault("FRONTDESK_SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
    env.setdefault("FRONTDESK_VAR_DIR", "/tmp/frontdesk-bench-var")
    env.setdefault("FRONTDESK_STATIC_ROOT", "/tmp/frontdesk-bench-static")
    return env


def start_server(port: int, workers: int, env: dict[str, str], log_path: Path
                 ) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--no-access-log",
           "--lifespan", "off", "--log-level", "warning", "--timeout-keep-alive", "60"]
    with log_path.open("ab") as out:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,  # noqa: S603
                                start_new_session=True)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_ready(client: Client, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("uvicorn exited; see the server log")
        try:
            if client.get("/healthz")[0] == 200:
                return
        except OSError:
            client.conn = None
        time.sleep(0.2)
    raise RuntimeError("uvicorn did not become ready")


def login(client: Client, email: str, password: str) -> None:
    status, page = client.get("/accounts/login/")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if status != 200 or match is None:
        raise RuntimeError(f"login page: HTTP {status}")
    body = urlencode({"login": email, "password": password,
                      "csrfmiddlewaretoken": match.group(1).decode()}).encode()
    status, _h, _b = client.request("POST", "/accounts/login/", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": "http://127.0.0.1/accounts/login/"})
    if status != 302 or "sessionid" not in client.cookies:
        raise RuntimeError(f"login failed: HTTP {status}")


def timed(name: str, fn: Callable[[int], None], args: argparse.Namespace,
          samples: int | None = None) -> list[float]:
    """Warm up, then time fn(i) up to ``samples`` times within the time cap (ms)."""
    for i in range(args.warmup):
        fn(i)
    times: list[float] = []
    started = time.monotonic()
    for i in range(samples or args.samples):
        t0 = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - t0) * 1000)
        if time.monotonic() - started > args.time_cap and len(times) >= 5:
            break
    log(f"{name}: n={len(times)} p50={percentile(times, 0.5):.1f} ms "
        f"p95={percentile(times, 0.95):.1f} ms")
    return times


def expect(status: int, want: int, what: str) -> None:
    if status != want:
        raise RuntimeError(f"{what}: HTTP {status}, expected {want}")


def fixtures() -> dict[str, object]:
    """What the requests need, read through the ORM: view ids, ticket numbers, a token."""
    import django

    django.setup()
    from django.db import connection

    from frontdesk.accounts.models import User
    from frontdesk.accounts.services import api_token_create
    from frontdesk.search.backends import backend
    from frontdesk.tickets.models import SavedView, Ticket
    from frontdesk.tickets.selectors import ticket_list_for

    alice = User.objects.get(email=AGENT_EMAIL)
    views = {v.key: v.pk for v in SavedView.objects.filter(owner__isnull=True)}
    long_numbers = list(ticket_list_for(alice).filter(message_count=20)
                        .order_by("number").values_list("number", flat=True)[:50])
    _token, key = api_token_create(user=alice, name="bench")
    hits = {}
    for word in [*SEARCH_WORDS, COMMON_WORD]:
        sql, params = backend().match_ids_sql(word)  # type: ignore[misc]
        with connection.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM ({sql}) m", params)  # noqa: S608
            hits[word] = cur.fetchone()[0]
    customers = list(User.objects.filter(role="customer").order_by("pk")
                     .values_list("email", flat=True)[:500])
    open_count = Ticket.objects.filter(assignee=alice, status_category__in=[
        "new", "open", "pending", "on_hold"]).count()
    connection.close()
    return {"views": views, "long_numbers": long_numbers, "token": key, "hits": hits,
            "customers": customers, "alice_open": open_count}


def main() -> int:
    args = parse_args()
    env = server_env()
    os.environ.update({k: v for k, v in env.items() if k.startswith("FRONTDESK_")})
    log("collectstatic ...")
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],  # noqa: S603
                   cwd=ROOT, env=env, check=True)
    fx = fixtures()
    if not fx["long_numbers"]:
        raise RuntimeError("no 20-message ticket visible to Alice: seed first")
    port = free_port()
    log_path = Path(env["FRONTDESK_VAR_DIR"]) / "bench-server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    proc = start_server(port, args.workers, env, log_path)
    # Other work on the machine inflates every figure; the load average says how much.
    result: dict[str, float | None] = {"load_avg_at_start": round(os.getloadavg()[0], 2)}
    try:
        client = Client(port)
        wait_ready(client, proc)
        from frontdesk.demo.people import PASSWORD

        login(client, AGENT_EMAIL, PASSWORD)
        views: dict[str, int] = fx["views"]  # type: ignore[assignment]
        longs: list[int] = fx["long_numbers"]  # type: ignore[assignment]
        api = {"Authorization": f"Token {fx['token']}", "Accept": "application/json"}

        def record(name: str, times: list[float]) -> None:
            result[f"{name}_p50_ms"] = round(percentile(times, 0.5), 2)
            result[f"{name}_p95_ms"] = round(percentile(times, 0.95), 2)

        def page(path: str) -> Callable[[int], None]:
            def fn(_i: int) -> None:
                status, _b = client.get(path)
                expect(status, 200, path)
            return fn

        record("queue_view", timed("queue_view (my open)", page(
            f"/desk/views/{views['my-open']}/"), args))
        record("queue_view_all_open", timed("queue_view (all open)", page(
            f"/desk/views/{views['all-open']}/"), args))

        def ticket_page(i: int) -> None:
            path = f"/desk/tickets/{longs[i % len(longs)]}/"
            status, body = client.get(path)
            expect(status, 200, path)
            if i == 0 and body.count(b'class="message ') < 20:
                raise RuntimeError(f"{path} does not show 20 messages")
        record("ticket_page", timed("ticket_page", ticket_page, args))

        def search(i: int) -> None:
            path = "/desk/search/?" + urlencode({"q": SEARCH_WORDS[i % len(SEARCH_WORDS)]})
            expect(client.get(path)[0], 200, path)
        record("ticket_search", timed("ticket_search", search, args))
        record("ticket_search_common_word", timed(
            "ticket_search (common word)", page(f"/desk/search/?q={COMMON_WORD}"), args, 20))

        status, _b = client.get("/api/v1/tickets/", headers=api)
        if status == 404:
            log("the API is not there (/api/v1/tickets/ is 404): API metrics are null")
            result.update({k: None for k in ("api_ticket_list_p50_ms", "api_ticket_list_p95_ms",
                                             "api_ticket_create_per_s")})
        else:
            record("api_ticket_list", timed("api_ticket_list", page_api(client, api), args))
            result["api_ticket_create_per_s"] = api_create(client, api, fx, args)
            result.update(api_create_concurrent(port, proc.pid, api, fx, args, clients=8))
    finally:
        stop_server(proc)
    try:
        result.update(floor_rates(env, fx, args, log_path))
    except Exception as exc:  # noqa: BLE001 - the figures above must still be reported
        log(f"floor measurement failed, its figures are left out: {exc!r}")
    result["workers"] = args.workers
    result["load_avg_at_end"] = round(os.getloadavg()[0], 2)
    out = json.dumps(result, indent=2, sort_keys=True)
    if args.out:
        Path(args.out).write_text(out + "\n")
    if args.meta:
        meta = {k: fx[k] for k in ("hits", "long_numbers", "alice_open")}
        meta.update({"search_words": SEARCH_WORDS, "common_word": COMMON_WORD})
        Path(args.meta).write_text(json.dumps(meta, indent=2) + "\n")
    print(out)
    return 0


def page_api(client: Client, api: dict[str, str]) -> Callable[[int], None]:
    def fn(_i: int) -> None:
        status, body = client.get("/api/v1/tickets/", headers=api)
        expect(status, 200, "GET /api/v1/tickets/")
        if _i == 0 and len(json.loads(body)["results"]) != 25:
            raise RuntimeError("API ticket list did not return a full page")
    return fn


def api_create(client: Client, api: dict[str, str], fx: dict[str, object],
               args: argparse.Namespace) -> float:
    """Sequential POSTs for existing customers; tickets per second over all of them."""
    customers: list[str] = fx["customers"]  # type: ignore[assignment]
    headers = {**api, "Content-Type": "application/json"}

    def create(i: int) -> None:
        payload = {"subject": f"Bench printer offline {i}",
                   "body": f"The office printer went offline again, attempt {i}.",
                   "requester": customers[i % len(customers)]}
        status, _h, body = client.request("POST", "/api/v1/tickets/",
                                          body=json.dumps(payload).encode(), headers=headers)
        if status != 201:
            raise RuntimeError(f"POST /api/v1/tickets/: HTTP {status} {body[:300]!r}")

    for i in range(args.warmup):
        create(i)
    t0 = time.perf_counter()
    for i in range(args.creates):
        create(args.warmup + i)
    per_s = args.creates / (time.perf_counter() - t0)
    log(f"api_ticket_create: {per_s:.1f}/s over {args.creates}")
    return round(per_s, 1)


def clients_rate(owns: list[Client], per_client: int,
                 request: Callable[[Client, int, int], None]) -> float:
    """Requests per second with ``len(owns)`` clients at once, each on its own connection
    (warmed up by the caller), ``per_client`` requests each: ``request(client, n, i)`` for
    client n's i-th. Any failure voids the figure."""
    errors: list[str] = []

    def work(n: int) -> None:
        try:
            for i in range(per_client):
                request(owns[n], n, i)
        except Exception as exc:  # noqa: BLE001 - any failure voids the figure
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(owns))]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"{len(errors)} client(s) failed: {errors[:3]}")
    return round(per_client * len(owns) / elapsed, 1)


def cpu_seconds(server_pid: int) -> dict[str, float] | None:
    """CPU time (user + system, seconds) used so far by the web server's process tree, by
    PostgreSQL's processes on this machine and by this process (the benchmark clients), read
    from /proc. None where there is no /proc."""
    if proc_stat("self") is None:
        return None
    stats = {int(e.name): proc_stat(e.name) for e in Path("/proc").iterdir() if e.name.isdigit()}
    parent = {pid: st.parent for pid, st in stats.items() if st is not None}

    def serves(pid: int) -> bool:
        while pid > 1:
            if pid == server_pid:
                return True
            pid = parent.get(pid, 0)
        return False

    own = os.times()
    return {"web": sum(st.cpu_seconds for pid, st in stats.items() if st and serves(pid)),
            "db": sum(st.cpu_seconds for st in stats.values() if st and st.name == "postgres"),
            "client": own.user + own.system}


def clients_rate_cpu(owns: list[Client], per_client: int,
                     request: Callable[[Client, int, int], None], server_pid: int
                     ) -> tuple[float, dict[str, float] | None]:
    """``clients_rate``, and the CPU time each request cost (ms) in the web server, in
    PostgreSQL and in the clients: with every core busy, cores x 1000 / their sum is the most
    requests per second this machine can serve."""
    before = cpu_seconds(server_pid)
    rate = clients_rate(owns, per_client, request)
    after = cpu_seconds(server_pid)
    if before is None or after is None:
        return rate, None
    count = per_client * len(owns)
    return rate, {k: round(1000 * (after[k] - before[k]) / count, 2) for k in before}


def api_create_concurrent(port: int, server_pid: int, api: dict[str, str],
                          fx: dict[str, object], args: argparse.Namespace, *, clients: int
                          ) -> dict[str, float]:
    """The same creates from several clients at once (what a busy integration sees), and
    where each create's CPU time goes."""
    customers: list[str] = fx["customers"]  # type: ignore[assignment]
    headers = {**api, "Content-Type": "application/json"}
    per_client = max(1, args.creates // clients)

    def post(own: Client, n: int, i: int) -> None:
        payload = {"subject": f"Concurrent bench ticket {n}-{i}", "body": "Printer offline.",
                   "requester": customers[(n * per_client + i) % len(customers)]}
        status, _h, body = own.request("POST", "/api/v1/tickets/",
                                       body=json.dumps(payload).encode(), headers=headers)
        if status != 201:
            raise RuntimeError(f"HTTP {status} {body[:200]!r}")

    owns = [Client(port) for _ in range(clients)]
    for n, own in enumerate(owns):  # each connection warmed up, whichever worker it reaches
        post(own, n, -1)
    per_s, cpu = clients_rate_cpu(owns, per_client, post, server_pid)
    log(f"api_ticket_create ({clients} clients): {per_s:.1f}/s over {per_client * clients}"
        f", CPU ms per create: {cpu}")
    result = {f"api_ticket_create_concurrent{clients}_per_s": per_s}
    for part, ms in (cpu or {}).items():
        result[f"api_ticket_create_cpu_{part}_ms"] = ms
    return result


def floor_rates(env: dict[str, str], fx: dict[str, object], args: argparse.Namespace,
                log_path: Path) -> dict[str, float]:
    """What the stack itself allows per request here: bare routes served the same way
    (uvicorn, workers, middleware, token authentication; bench/floor_urls.py), timed as the
    creates are. The API create can be no faster than ``floor_api_insert_per_s``."""
    from django.db import connection
    from floor_urls import TABLE  # type: ignore[import-not-found]

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} "  # noqa: S608
                       "(id bigserial PRIMARY KEY, subject text NOT NULL, body text NOT NULL)")
    floor_env = {**env, "DJANGO_SETTINGS_MODULE": "floor_settings",
                 "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), str(ROOT)])}
    port = free_port()
    proc = start_server(port, args.workers, floor_env, log_path)
    headers = {"Authorization": f"Token {fx['token']}", "Accept": "application/json",
               "Content-Type": "application/json"}
    result: dict[str, float] = {}
    try:
        client = Client(port)
        wait_ready(client, proc)

        def call(own: Client, method: str, path: str, i: int) -> None:
            body = json.dumps({"subject": f"Floor {i}", "body": f"Printer offline, {i}."})
            status, _h, data = own.request(method, path, headers=headers,
                                           body=body.encode() if method == "POST" else None)
            if status not in (200, 201):
                raise RuntimeError(f"{method} {path}: HTTP {status} {data[:200]!r}")

        for name, method, path, clients in (
            ("floor_django_noop_per_s", "GET", "/bench-floor/noop/", 1),
            ("floor_api_noop_per_s", "POST", "/bench-floor/api-noop/", 1),
            ("floor_api_insert_per_s", "POST", "/bench-floor/api-insert/", 1),
            ("floor_api_insert_concurrent8_per_s", "POST", "/bench-floor/api-insert/", 8),
        ):
            for i in range(args.warmup):
                call(client, method, path, i)
            owns = [client] if clients == 1 else [Client(port) for _ in range(clients)]
            for extra in owns[1:]:  # each connection warmed up, whichever worker it reaches
                for i in range(2):
                    call(extra, method, path, i)
            result[name], cpu = clients_rate_cpu(
                owns, max(1, args.creates // clients),
                lambda own, _n, i, method=method, path=path: call(own, method, path, i),
                proc.pid)
            log(f"{name}: {result[name]}/s, CPU ms per request: {cpu}")
            if cpu and clients > 1:
                result[name.replace("_per_s", "_cpu_ms")] = round(sum(cpu.values()), 2)
    finally:
        stop_server(proc)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")  # noqa: S608
        connection.close()
    return result


if __name__ == "__main__":
    sys.exit(main())
