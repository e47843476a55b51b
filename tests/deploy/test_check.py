"""deploy/check.sh end to end: two nodes behind nginx, a node killed, nothing lost (minutes)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import PG_UP, REDIS_UP

CHECK = Path(__file__).resolve().parents[2] / "deploy" / "check.sh"

# Each line check.sh must print: the whole story, not just its exit status.
EXPECTED = [
    "ok   migrated with okno-migrate.service's command line",
    "ok   two nodes started with okno.service's command line",
    "ok   nginx runs deploy/nginx/okno.conf",
    "ok   plain HTTP redirects to HTTPS",
    "ok   an operator logs in through nginx; the session cookie is Secure, HSTS is sent once",
    "ok   the workspace websocket upgrades through nginx (wss, same-site Origin accepted)",
    "ok   a web form posted twice through nginx is stored once and makes one message",
    "ok   a request accepted by node A reaches the operator's websocket held on node B",
    "ok   node A killed with SIGKILL under load: all 120 posts acknowledged through nginx",
    "ok   nothing acknowledged was lost: 120/120 stored once, none doubled",
    "ok   node B's websocket stayed up and received all",
    "ok   node A restarted with the same command line",
    "ok   node A is back: nginx serves from both nodes and each accepts a request",
    "all checks passed",
]


@pytest.mark.slow
@pytest.mark.skipif(not (PG_UP and REDIS_UP), reason="needs PostgreSQL and Redis on loopback")
def test_the_deploy_check_passes() -> None:
    done = subprocess.run(
        ["bash", str(CHECK)], capture_output=True, text=True, timeout=1200, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    lines = done.stdout.splitlines()
    for expected in EXPECTED:
        assert any(line.startswith(expected) for line in lines), f"{expected!r}\n{output}"
    assert not any(line.startswith("FAIL") for line in lines), output
