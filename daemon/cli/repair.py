"""Failed follow-ups, tried again on request: ``retry``.

The daemon retries a template or config failure by itself once the cause changes; ``retry``
is for everything else, and for the impatient. It changes the state only: the running daemon
(or the next ``run --once``) drafts what it scheduled.
"""

from __future__ import annotations

import click

from daemon.cli import console
from daemon.cli.app import Runtime, friendly, interview_or_fail, main, pass_runtime
from daemon.clock import SystemClock


@main.command(short_help="Try an interview's failed follow-ups again.")
@click.argument("interview_id", type=int)
@click.option("--about", "about", metavar="EMAIL", help="Only this interviewer's follow-ups.")
@pass_runtime
@friendly
def retry(rt: Runtime, interview_id: int, about: str | None) -> None:
    """Try the failed follow-ups of an interview again now (still within max_lateness).

    \b
    Examples:
      followupd retry 3
      followupd retry 3 --about jane@acme.example
    """
    from daemon.corrections.retry import retry as retry_failed

    with rt.sessions()() as session:
        interview = interview_or_fail(session, interview_id)
        result = retry_failed(rt.config, session, interview, about, SystemClock().now())
        session.commit()

    def say(text: str) -> None:
        console.out.print(text, markup=False, highlight=False, soft_wrap=True)

    for line in result.retried:
        say(f"Retrying {line}: due now.")
    if result.retried:
        say("followupd drafts it at its next round; 'followupd run --once' does it at once.")
    for line in result.not_retried:
        say(f"Not retried: {line}.")
    if result.not_retried:  # "it was due Tue 03 Mar 13:00, ...": in which zone
        from daemon.output.times import zone_line

        say(zone_line(rt.config.daemon.timezone))
    if not result.retried and not result.not_retried:
        whom = f" for {about.lower()}" if about else ""
        states = "; ".join(result.not_failed) or "it has no follow-ups"
        say(f"Nothing failed in interview {interview_id}{whom}, nothing to retry ({states}).")
