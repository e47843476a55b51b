"""The channels' property tests at fuzzing strength: every entry point (Telegram webhook, VK
callback, website chat socket, web-form POST) with 3,000 inputs each instead of the suite's 200.

    .venv/bin/python bench/fuzz_channels.py [--examples 3000] [--backend sqlite|postgres|all]

Random (not the suite's fixed) seeds, so each run tries new inputs. Prints how long each entry
point took and exits non-zero on the first input answered with a 5xx or raising; hypothesis
prints that input, shrunk to its smallest form.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROPERTIES = [
    "tests/connectors/telegram/test_fuzz.py::test_webhook_answers_every_input_without_5xx",
    "tests/connectors/vk/test_fuzz.py::test_callback_answers_every_input_without_5xx",
    "tests/connectors/widget/test_fuzz.py::test_socket_answers_every_frame_without_internal_errors",
    "tests/connectors/webform/test_fuzz_post.py::test_form_answers_every_post_without_5xx",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=3000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
    args = parser.parse_args()
    os.environ["OKNO_FUZZ_EXAMPLES"] = str(args.examples)
    os.chdir(ROOT)
    select = [] if args.backend == "all" else ["-k", args.backend]
    for test in PROPERTIES:
        started = time.perf_counter()
        status = pytest.main(["-q", "-p", "no:cacheprovider", *select, test])
        took = time.perf_counter() - started
        print(f"{test.split('::')[1]}: {args.examples} inputs per backend, {took:.1f} s")
        if status != 0:
            return int(status)
    return 0


if __name__ == "__main__":
    sys.exit(main())
