"""One worker of `okno run --workers N` (python -m hub.host.worker SLOT): reads the node's
settings as JSON on stdin, then serves the whole app on the shared port (SO_REUSEPORT).
Started only by hub.host.processes, which has already checked the schema and the port."""

from __future__ import annotations

import logging
import os
import sys

from aiohttp import web

from hub import logs
from hub.host.app import create_app
from hub.settings import Settings

log = logging.getLogger("okno")


def main(argv: list[str]) -> int:
    slot = int(argv[0])
    settings = Settings.model_validate_json(sys.stdin.buffer.read())
    logs.configure(settings.log_level, settings.log_format)
    log.info("worker %d (pid %d) serving on port %d", slot, os.getpid(), settings.port)
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        reuse_port=True,
        print=None,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
