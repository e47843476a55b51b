"""Real mail servers for the tests: a private Dovecot (IMAP) and an in-loop aiosmtpd (SMTP).

Dovecot runs from a config under a temp dir on a free loopback port, with one passwd-file
user `test` (DEPENDENCIES.md, Email); the machine's own Dovecot service is never touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aioimaplib
import pytest
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from tests.waiting import until

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"
USER, PASSWORD = "test", "test"
_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Dovecot:
    root: Path
    port: int
    master_pid: int | None = None

    @property
    def config(self) -> Path:
        return self.root / "dovecot.conf"

    async def client(self) -> Any:
        client = aioimaplib.IMAP4(host="127.0.0.1", port=self.port, timeout=10)
        await client.wait_hello_from_server()
        response = await client.login(USER, PASSWORD)
        assert response.result == "OK", response
        return client

    async def append(self, raw: bytes, mailbox: str = "INBOX") -> tuple[int, int]:
        """Deliver a message unchanged; returns (UIDVALIDITY, UID) from APPENDUID."""
        client = await self.client()
        try:
            response = await client.append(raw, mailbox=mailbox)
            assert response.result == "OK", response
            match = _APPENDUID.search(b" ".join(response.lines))
            assert match, response
            return int(match.group(1)), int(match.group(2))
        finally:
            await client.logout()

    async def launch(self) -> None:
        # The master daemonises and keeps its inherited stdout/stderr: never hand it a pipe.
        with (self.root / "startup.log").open("ab") as output:
            subprocess.run(
                [DOVECOT, "-c", str(self.config)],
                check=True,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
            )
        pid_file = self.root / "run" / "master.pid"
        for _ in range(100):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                self.master_pid = int(pid_file.read_text().strip())
                return
            except (OSError, ValueError):
                await asyncio.sleep(0.05)
        raise RuntimeError(f"Dovecot did not start listening; see {self.root}")

    def kick(self) -> None:
        """Drop every IMAP session of the test user, as a server restart or a network cut would."""
        subprocess.run(
            [DOVEADM, "-c", str(self.config), "kick", USER],
            check=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    async def restart(self) -> None:
        """Stop the server and wait until it has exited (every session cut, new connections
        refused meanwhile), then start it again on the same port with the same mail."""
        pid = self.master_pid
        assert pid is not None, "not started by launch()"
        os.kill(pid, signal.SIGTERM)
        await until(lambda: not _alive(pid), 20, what=f"Dovecot's master {pid} to exit")
        self.master_pid = None
        await self.launch()

    def stop(self) -> None:
        """Ask the master to exit without waiting (it takes about two seconds);
        `reap_stopped` waits for all of them once, at the end of the session."""
        if self.master_pid is None:
            subprocess.run(
                [DOVEADM, "-c", str(self.config), "stop"],
                check=False,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            shutil.rmtree(self.root, ignore_errors=True)
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.master_pid, signal.SIGTERM)
        _STOPPING.append((self.master_pid, self.root))
        self.master_pid = None


# (master pid, root) of servers asked to stop: reaped once at the end of the session.
_STOPPING: list[tuple[int, Path]] = []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def reap_stopped(timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while _STOPPING:
        pid, root = _STOPPING[0]
        if _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
            continue
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)  # the master we started; its children follow it
        _STOPPING.pop(0)
        shutil.rmtree(root, ignore_errors=True)


def _mail_owner() -> tuple[int, int, str]:
    """Dovecot as root delivers as nobody (uid >= first_valid_uid); otherwise as ourselves."""
    if os.geteuid() == 0:
        return 65534, 65534, ""
    me = pwd.getpwuid(os.geteuid()).pw_name
    return os.geteuid(), os.getegid(), f"default_login_user = {me}\ndefault_internal_user = {me}\n"


async def start_dovecot(extra_config: str = "") -> Dovecot:
    """A private Dovecot on a free port. Where Dovecot is not installed (a clone outside CI)
    the calling test skips: every IMAP-bound test starts its server here, so none can fail for
    want of it, while the SMTP tests (aiosmtpd only) always run."""
    if not os.path.exists(DOVECOT):
        pytest.skip("Dovecot is not installed (Debian package dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="okno-dovecot-"))
    root.chmod(0o755)  # the mail user must reach its home below it
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir()
    uid, gid, users = _mail_owner()
    os.chown(root / "mail", uid, gid)
    port = free_port()
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{root}/mail/{USER}::\n")
    (root / "dovecot.conf").write_text(
        f"""base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_failure_delay = 0
mail_location = maildir:~/Maildir
mailbox_idle_check_interval = 1 secs
{users}passdb {{
  driver = passwd-file
  args = {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = {root}/passwd
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
{extra_config}
"""
    )
    server = Dovecot(root, port)
    try:
        await server.launch()
    except BaseException:
        server.stop()
        raise
    return server


@dataclass
class SmtpRecorder:
    """An aiosmtpd handler that keeps what it is sent and refuses chosen recipients."""

    messages: list[EmailMessage] = field(default_factory=list)
    authenticated: list[bool] = field(default_factory=list)
    # recipient address -> the SMTP reply refusing it ("550 5.1.1 ...", "451 ...")
    refuse: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self.refuse.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.authenticated.append(bool(session.authenticated))
        return "250 2.0.0 Ok: queued"


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    # handled=False: aiosmtpd itself answers 535 on failure
    return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    recorder: SmtpRecorder
    server: asyncio.Server
    port: int


async def start_smtp() -> SmtpServer:
    recorder = SmtpRecorder()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(
            recorder,
            hostname="smtp.test",
            authenticator=_authenticator,
            auth_require_tls=False,
            auth_required=True,
            loop=loop,
        ),
        "127.0.0.1",
        0,
    )
    port = int(server.sockets[0].getsockname()[1])
    return SmtpServer(recorder, server, port)
