"""Fail when a module of ai_stream is under the per-module coverage threshold.

Reads the data file that ``pytest --cov`` left (``.coverage`` by default) with the coverage API,
with the project's ``[tool.coverage]`` settings, and measures each module the way the coverage
report's ``Cover`` column does: line and branch coverage together. Lists every module under the
threshold and exits 1, else prints one line and exits 0.

Usage: ``python scripts/check_coverage.py [--fail-under 90] [--data-file .coverage]``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import coverage


def module_coverage(data_file: str) -> dict[str, float]:
    """Percent covered (lines and branches) of every measured file, by path."""
    cov = coverage.Coverage(data_file=data_file)
    cov.load()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "coverage.json"
        cov.json_report(outfile=str(report))
        files = json.loads(report.read_text())["files"]
    return {path: float(entry["summary"]["percent_covered"]) for path, entry in files.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Per-module coverage threshold of ai_stream.")
    parser.add_argument("--fail-under", type=float, default=90.0, help="percent, per module")
    parser.add_argument("--data-file", default=".coverage", help="coverage data file")
    args = parser.parse_args(argv)
    threshold: float = args.fail_under
    if not Path(args.data_file).exists():
        print(f"no coverage data at {args.data_file}: run pytest --cov first", file=sys.stderr)
        return 2
    modules = module_coverage(args.data_file)
    if not modules:
        print(f"no measured modules in {args.data_file}", file=sys.stderr)
        return 2
    under = sorted((path, percent) for path, percent in modules.items() if percent < threshold)
    if under:
        print(f"{len(under)} module(s) under {threshold:g}% coverage (lines and branches):")
        for path, percent in under:
            print(f"  {path}: {percent:.1f}%")
        return 1
    lowest = min(modules.values())
    print(
        f"every module has at least {threshold:g}% coverage "
        f"({len(modules)} modules, lowest {lowest:.1f}%)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
