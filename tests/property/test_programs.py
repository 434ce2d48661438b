"""Random writer programs, each checked through the real ``ai`` clients (see checks.py).

For every target (4 = the ai 4 data stream; 5, 6, 7; the latest release of each; a text stream)
hypothesis draws programs from the whole writer API (programs.py), one in four continuing the
message of a first stream; each is run with and without ``collect`` and replayed through the
first, the latest and the strict-schema releases of the major (ai 4.3.19 for the data stream,
``TextStreamChatTransport`` of every major's first and latest release for a text stream).
Failures do not stop the run: they are grouped by signature, the smallest program of each signature
is shrunk, and the test fails once at the end with every distinct failure (its program and the
full difference).
``make test`` runs a fixed, derandomized budget; ``make fuzz`` a long random one.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given, seed, settings

from tests.property.checks import TARGETS, Target, check_program, continues, minimize
from tests.property.conftest import MAX_STEPS, MINIMIZE_SECONDS, PROFILE, SEED, Survey
from tests.property.programs import Program, programs
from tests.property.replayer import Replayer


@pytest.mark.parametrize("target", TARGETS, ids=str)
def test_random_writer_programs(target: Target, replayer: Replayer, surveys: list[Survey]) -> None:
    survey = Survey(target)
    surveys.append(survey)
    started = time.monotonic()

    @seed(SEED + TARGETS.index(target))
    @settings(PROFILE)
    @given(programs(max_steps=MAX_STEPS, continuations=continues(target)))
    def explore(program: Program) -> None:
        survey.add(check_program(program, target, replayer))

    explore()

    deadline = time.monotonic() + MINIMIZE_SECONDS
    reports: list[str] = []
    for signature, verdicts in sorted(survey.failures.items()):
        remaining = max(0.0, deadline - time.monotonic())
        share = remaining / max(1, len(survey.failures) - len(reports))
        smallest = minimize(verdicts[0], replayer, seconds=share) if share > 0.5 else verdicts[0]
        reports.append(f"{survey.counts[signature]} failing programs like:\n{smallest.report()}")
    survey.seconds = time.monotonic() - started
    assert not reports, (
        f"{len(reports)} distinct failures in {survey.programs} programs for target {target}:\n\n"
        + "\n\n".join(reports)
    )
