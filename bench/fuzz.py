"""Fuzz the parsers and the MIME builder for a fixed time, with the property tests' checks.

    python3 bench/fuzz.py              # 60 s, shared among all targets
    python3 bench/fuzz.py 600          # ten minutes
    python3 bench/fuzz.py 120 --only ics-mutations,maildir-read --seed 7

Runs every ``check_*`` of tests/test_properties.py under Hypothesis (random, no example
database, no shrinking: the budget goes to new inputs) in batches until the target's share of
the time is used. When ../shared/corpus is present its .ics and .eml files (up to 64 KB) join the
built-in seeds that get mutated. Besides exceptions it reports:

* hangs: an example still running after ``--hang`` seconds (default 20) is stopped and counted;
* slow examples: the slowest example of each target, and how many took over ``--slow`` s;
* internal errors that a connector turned into a Problem (a Python exception name in the
  message): not crashes, but a sign that an error message could be clearer.

Prints examples tried and crashes found per target; exits 1 when anything crashed or hung.
Local use only: ``python3 -m pytest`` runs the same properties with the quick "ci" profile.
"""

from __future__ import annotations

import argparse
import dataclasses
import mailbox
import random
import re
import resource
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # this checkout, not an installed copy

import test_properties as props  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
SEED_LIMIT = 64 * 1024
_INTERNAL = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception)\b")


class Hang(BaseException):
    """Raised by the alarm; a BaseException so that no ``except Exception`` swallows it."""


@dataclass
class Target:
    name: str
    check: Callable[..., Any]
    strategy: st.SearchStrategy[tuple[Any, ...]]
    examples: int = 0
    crashes: dict[str, str] = field(default_factory=dict)  # kind -> first example shown
    hangs: int = 0
    slow: int = 0
    slowest: float = 0.0
    internal: int = 0


def corpus(kind: str) -> list[bytes]:
    folder = CORPUS / kind
    if not folder.is_dir():
        return []
    return [p.read_bytes() for p in sorted(folder.iterdir()) if p.stat().st_size <= SEED_LIMIT]


def targets(work: Path) -> list[Target]:
    ics_dir = work / "ics"
    ics_dir.mkdir()
    mail_root = work / "Mail"
    tree = mailbox.Maildir(mail_root, create=True)
    for name in ("Drafts", "Sent", "Trash", "Archive"):
        tree.add_folder(name)
    ics_seeds = props.ICS_SEEDS + corpus("ics")
    mail_seeds = props.MAIL_SEEDS + corpus("eml")
    mail_values = st.one_of(st.sampled_from(props.HEADER_VALUES), st.binary(max_size=30))
    files = st.one_of(
        props.message_files, props.mutated(mail_seeds, props.HEADER_NAMES, mail_values)
    )
    places = st.lists(st.sampled_from(sorted(props.PLACES)), min_size=1, unique=True)

    def ics(data: bytes) -> Any:
        return props.check_ics(data, ics_dir)

    return [
        Target(
            "message",
            props.check_message,
            st.tuples(st.one_of(props.requests(), props.requests(props.long_text))),
        ),
        Target("address", props.check_address, st.tuples(props.address_texts)),
        Target("ics-mutations", ics, st.tuples(props.mutated_calendars(ics_seeds))),
        Target(
            "ics-sentinel",
            lambda data: props.check_sentinel(data, ics_dir),
            st.tuples(props.damaged_calendars()),
        ),
        Target(
            "maildir-read",
            lambda data, where: props.check_maildir_file(mail_root, data, where),
            st.tuples(files, places),
        ),
        Target(
            "maildir-drafts",
            lambda request, key: props.check_draft_round_trip(
                mail_root, dataclasses.replace(request, key=key)
            ),
            st.tuples(props.requests(), props.keys),
        ),
        Target(
            "auto-reply",
            props.check_auto_reply,
            st.tuples(
                props.header_dicts,
                props.short_text,
                st.one_of(st.binary(max_size=400), props.hostile_messages(), files),
            ),
        ),
        Target(
            "return-date",
            props.check_return_date,
            st.tuples(props.return_texts, props.received_times),
        ),
    ]


def _alarm(signum: int, frame: Any) -> None:
    raise Hang()


def run_batch(target: Target, size: int, batch_seed: int, hang: float, slow: float) -> None:
    failing: list[tuple[Any, ...]] = []

    def one(args: tuple[Any, ...]) -> None:
        target.examples += 1
        signal.setitimer(signal.ITIMER_REAL, hang)
        started = time.perf_counter()
        try:
            result = target.check(*args)
        except BaseException:
            failing.append(args)
            raise
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            took = time.perf_counter() - started
            target.slowest = max(target.slowest, took)
            target.slow += took > slow
        for problem in getattr(result, "problems", []):
            target.internal += bool(_INTERNAL.search(problem.message))

    test = settings(
        max_examples=size,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.generate],
        report_multiple_bugs=False,
        verbosity=Verbosity.quiet,
        suppress_health_check=list(HealthCheck),
    )(given(target.strategy)(one))
    try:
        seed(batch_seed)(test)()
    except Hang:
        target.hangs += 1
    except Exception as err:  # a crash: remember the first example of each kind
        origin = err.__traceback__
        while origin is not None and origin.tb_next is not None:
            origin = origin.tb_next
        where = f"{origin.tb_frame.f_code.co_filename}:{origin.tb_lineno}" if origin else "?"
        kind = f"{type(err).__name__} at {where}"
        if kind not in target.crashes:
            shown = repr(failing[-1]) if failing else "?"
            target.crashes[kind] = f"{type(err).__name__}: {err}\nexample: {shown}"[:3000]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("seconds", nargs="?", type=float, default=60.0, help="time budget")
    parser.add_argument("--only", help="comma-separated target names")
    parser.add_argument("--seed", type=int, default=None, help="master seed (default: random)")
    parser.add_argument("--hang", type=float, default=20.0, help="seconds before an example hangs")
    parser.add_argument("--slow", type=float, default=2.0, help="seconds that make an example slow")
    parser.add_argument("--memory", type=int, default=4096, help="address-space limit in MB")
    options = parser.parse_args()

    resource.setrlimit(resource.RLIMIT_AS, (options.memory * 2**20,) * 2)
    signal.signal(signal.SIGALRM, _alarm)
    master = options.seed if options.seed is not None else random.randrange(2**32)
    rng = random.Random(master)
    with tempfile.TemporaryDirectory(prefix="followupd-fuzz-") as work:
        chosen = targets(Path(work))
        if options.only:
            wanted = set(options.only.split(","))
            chosen = [t for t in chosen if t.name in wanted]
        print(
            f"fuzzing {len(chosen)} targets for {options.seconds:.0f} s (seed {master}; corpus"
            f" {'used' if CORPUS.is_dir() else 'absent'})",
            flush=True,
        )
        started = time.monotonic()
        for index, target in enumerate(chosen):
            # An equal share of what is left, so a target that overran does not starve the rest.
            share = (options.seconds - (time.monotonic() - started)) / (len(chosen) - index)
            until = time.monotonic() + share
            size = 10
            while time.monotonic() < until:
                batch_started = time.monotonic()
                run_batch(target, size, rng.randrange(2**32), options.hang, options.slow)
                took = time.monotonic() - batch_started
                left = until - time.monotonic()
                size = max(1, min(500, int(size * min(4.0, max(0.25, left / max(took, 1e-3))))))
        elapsed = time.monotonic() - started

    print(
        f"\n{'target':16} {'examples':>9} {'crashes':>8} {'hangs':>6} {'slow':>5} "
        f"{'slowest':>8} {'internal':>9}"
    )
    for t in chosen:
        print(
            f"{t.name:16} {t.examples:9,} {len(t.crashes):8} {t.hangs:6} {t.slow:5} "
            f"{t.slowest:7.2f}s {t.internal:9}"
        )
    total = sum(t.examples for t in chosen)
    crashed = sum(len(t.crashes) + t.hangs for t in chosen)
    print(f"{'total':16} {total:9,} {crashed:8}   in {elapsed:.0f} s")
    for t in chosen:
        for kind, shown in t.crashes.items():
            print(f"\n--- {t.name}: {kind}\n{shown}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
