"""Wait until every URL answers 2xx (``make demo`` prints its URL only then).

    python scripts/wait_ready.py URL... [--timeout 120]

Exits 0 once all answered, 1 after the timeout (naming the URLs that did not).
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.error
import urllib.request


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError):
        return False


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout
    waiting = list(args.urls)
    while waiting and time.monotonic() < deadline:
        waiting = [url for url in waiting if not answers(url)]
        if waiting:
            time.sleep(0.1)
    if waiting:
        print(f"not answering after {args.timeout:g} s: {' '.join(waiting)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
