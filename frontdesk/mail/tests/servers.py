"""Real mail servers for the tests: Dovecot (IMAP) as a subprocess, aiosmtpd in a thread.

Dovecot runs in the foreground with its own config in a temporary directory on a free
port: a passwd-file passdb (users are appended while it runs; Dovecot re-reads the file)
and a static userdb owned by an unprivileged user when running as root.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _mail_owner() -> tuple[str, str]:
    if os.getuid() != 0:
        return pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    # Dovecot refuses to run mail processes as root.
    user = pwd.getpwnam("nobody")
    return user.pw_name, grp.getgrgid(user.pw_gid).gr_name


@dataclass
class Dovecot:
    root: Path
    port: int
    process: subprocess.Popen | None = None
    users: dict[str, str] = field(default_factory=dict)
    pool: list[str] = field(default_factory=list)

    @property
    def passwd(self) -> Path:
        return self.root / "passwd"

    def start(self) -> None:
        user, group = _mail_owner()
        run_as_root = os.getuid() == 0
        config = f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{self.root}/mail/%u
first_valid_uid = 1
mail_max_userip_connections = 100
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.passwd}
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={self.root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service imap {{
  process_limit = 50
}}
"""
        for name in ("run", "state", "mail"):
            (self.root / name).mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        (self.root / "mail").chmod(0o777 if run_as_root else 0o755)
        # Accounts are made up front: Dovecot may not notice a passwd-file changed within
        # the same second, so adding users while it runs is not reliable.
        self.pool = [f"box-{i:03d}-{uuid.uuid4().hex[:6]}@example.com" for i in range(300)]
        self.passwd.write_text("".join(f"{u}:{{PLAIN}}secret-imap\n" for u in self.pool))
        (self.root / "dovecot.conf").write_text(config)
        self.process = subprocess.Popen(  # noqa: S603 - our own binary and config
            [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.process.stderr.read().decode()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("dovecot did not start listening")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)

    def account(self) -> str:
        """A fresh IMAP account (its own Maildir): returns the user name."""
        user = self.pool.pop()
        self.users[user] = "secret-imap"
        return user


def dovecot_start() -> Dovecot:
    root = Path(tempfile.mkdtemp(prefix="fd-dovecot-", dir="/tmp"))
    server = Dovecot(root=root, port=free_port())
    server.start()
    return server


# --- SMTP -------------------------------------------------------------------------------------


@dataclass
class Captured:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


class _Capture:
    def __init__(self) -> None:
        self.messages: list[Captured] = []
        self.refuse: dict[str, str] = {}
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            self.messages.append(
                Captured(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        return "250 Message accepted for delivery"


def smtp_start():  # type: ignore[no-untyped-def]
    from aiosmtpd.controller import Controller

    handler = _Capture()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, handler
