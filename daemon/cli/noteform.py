"""``followupd note ID`` without text or flags: the note form in the user's editor.

The editor is ``$VISUAL``, else ``$EDITOR`` (a command line such as ``code --wait`` is run
through the shell, as git does), else, on a terminal, the first of ``editor``, ``nano`` and
``vi`` that exists. Without a terminal and without a configured editor the command fails at
once with what to do instead, rather than waiting for an editor nobody sees.

The loop follows ``git commit`` and ``crontab -e``: a saved form that is empty (comments and
blank lines only) changes nothing; one saved unchanged says "Nothing changed."; one with an
invalid value is reopened with the problems on top as ``#!`` comment lines and the user's text
kept; an editor that exits with a non-zero status aborts. The store is not held open while the
editor runs (the daemon keeps working); the changes are applied in a fresh transaction,
validated again there by :func:`daemon.corrections.notes.apply_note`.

The form itself (what it shows, how it is read) is :mod:`daemon.corrections.form`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from daemon.cli import console
from daemon.cli.app import Runtime, interview_or_fail
from daemon.clock import SystemClock
from daemon.corrections import form
from daemon.corrections.notes import NoteChanges, apply_note
from daemon.errors import FollowupdError

FALLBACK_EDITORS = ("editor", "nano", "vi")


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def choose_editor(interview_id: int) -> str:
    """The editor command line to run, or a :class:`FollowupdError` saying what to do."""
    for variable in ("VISUAL", "EDITOR"):
        value = os.environ.get(variable, "").strip()
        if value:
            return value
    instead = (
        f'give the note as text (followupd note {interview_id} "what you discussed") or as '
        "flags (--about, --title, --company, ... ; see followupd note --help)"
    )
    if not _interactive():
        raise FollowupdError(
            f"note {interview_id}: no text and no flags, so the note form would open in an "
            f"editor, but this is not a terminal and neither $VISUAL nor $EDITOR is set; "
            f"{instead}, or set $EDITOR"
        )
    for name in FALLBACK_EDITORS:
        if shutil.which(name):
            return name
    raise FollowupdError(
        f"note {interview_id}: no editor found for the note form ($VISUAL and $EDITOR are "
        f"unset, and none of {', '.join(FALLBACK_EDITORS)} is installed); set $EDITOR "
        f"(e.g. export EDITOR=nano), or {instead}"
    )


def _run_editor(editor: str, path: Path) -> int:
    """Run ``editor`` on ``path`` through the shell, as git does, so that an editor command
    with arguments ("code --wait", "emacsclient -t") works; the path is passed as an
    argument, never pasted into the command line."""
    return subprocess.run(["/bin/sh", "-c", f'{editor} "$@"', editor, str(path)]).returncode


def edit_notes(rt: Runtime, interview_id: int) -> None:
    """Open the note form of interview ``interview_id`` and apply what the user saves."""
    editor = choose_editor(interview_id)
    with rt.sessions()() as session:
        shown = form.build(rt.config, interview_or_fail(session, interview_id))
    text = form.render(shown)
    with tempfile.TemporaryDirectory(prefix="followupd-") as folder:
        path = Path(folder) / f"followupd-note-{interview_id}.txt"
        reopened = False
        while True:
            path.write_text(text, encoding="utf-8")
            try:
                status = _run_editor(editor, path)
            except KeyboardInterrupt:
                raise FollowupdError("interrupted; nothing changed") from None
            if status != 0:
                hint = " (not found? check $VISUAL and $EDITOR)" if status == 127 else ""
                raise FollowupdError(
                    f"the editor ({editor}) exited with status {status}{hint}; nothing changed"
                )
            try:
                saved = path.read_text(encoding="utf-8", errors="replace")
            except OSError as err:
                raise FollowupdError(
                    f"the note form could not be read back after editing ({err.strerror}: "
                    f"{path}); nothing changed"
                ) from None
            if form.is_empty(saved):
                console.out.print("The form was saved empty: nothing changed.")
                return
            if reopened and saved == text:
                raise FollowupdError(
                    "the form still has the problems listed on top and was saved unchanged; "
                    "nothing changed"
                )
            try:
                changes = form.changes(shown, form.parse(saved, shown))
                if changes is None:
                    console.out.print("Nothing changed.")
                    return
                moved = _apply(rt, interview_id, changes)
            except form.FormErrors as err:
                problems = err.problems
            except FollowupdError as err:
                problems = [str(err)]
            else:
                _report(shown, changes, moved)
                return
            text, reopened = form.with_errors(saved, problems), True


def _apply(rt: Runtime, interview_id: int, changes: NoteChanges) -> int:
    with rt.sessions()() as session:
        interview = interview_or_fail(session, interview_id)
        result = apply_note(rt.config, session, interview, changes, SystemClock().now())
        session.commit()
    return result.moved


def _report(shown: form.Form, changes: NoteChanges, moved: int) -> None:
    """One line on what was saved, so that the user sees the form took."""
    names = {p.email: p.name or p.email for p in shown.people}
    what = [
        label
        for label, value in (
            ("company", changes.company),
            ("role", changes.role),
            ("fit", changes.fit),
            ("language", changes.language),
        )
        if value is not None
    ]
    if changes.decision_by or changes.clear_decision:
        what.append("decision date")
    if changes.contact:
        what.append(f"main contact ({moved} status inquiry moved)" if moved else "main contact")
    for address, _ in (changes.notes or {}).items():
        what.append(f"notes on {names.get(address, address)}" if address else "interview notes")
    what += [f"title of {names.get(a, a)}" for a in changes.titles]
    console.out.print(f"Saved: {', '.join(what)}.", markup=False, highlight=False, soft_wrap=True)
