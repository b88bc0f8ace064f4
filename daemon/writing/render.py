"""Draft texts: the context a template sees, and the sandboxed Jinja2 rendering of it.

Template format
---------------
A plain-text template's output starts with a line ``Subject: ...``, then a blank line, then the
body (Jinja comments and blank lines before the Subject line are allowed)::

    Subject: Thank you – {{ role }} interview

    {{ recipient.salutation }},
    ...

HTML templates hold the body only (a leading ``Subject:`` line is tolerated and dropped); the
subject always comes from the plain-text template. Templates are Jinja2 with ``trim_blocks`` and
``lstrip_blocks`` (a line holding only a ``{% ... %}`` tag leaves no blank line behind), strict
undefined variables, autoescaping for the HTML ones and none for plain text. Besides Jinja's own
filters there are ``topic`` (a note as a noun phrase: "talked about the Kafka migration" ->
"the Kafka migration"), ``join_and`` ("a, b, and c"), ``longdate`` ("Tuesday, November 24")
and ``nl2br`` (HTML line breaks, escaping the text).

Why a sandbox: event titles, names and notes come from strangers' invitations. They reach a
template only as context values, never as template source, so ``{{ 7*7 }}`` in a title stays
literal text; and the user's own templates run in a sandbox so a template copied from
somewhere cannot reach into Python, nor hang or exhaust the daemon with a runaway loop
(:mod:`daemon.writing.bounds`: a rendering stops past 64 KiB of output, a million loop
iterations or two seconds, and the follow-up fails with a message naming the line).

The user's text template replaces the default text *and* HTML (a draft whose HTML part still
said the default text would be a nasty surprise): without an HTML override it is text-only.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from jinja2 import ChoiceLoader, FileSystemLoader, FunctionLoader, StrictUndefined
from jinja2.sandbox import SecurityError

from daemon.errors import TemplateError
from daemon.writing.bounds import BoundedEnvironment, RenderLimit
from daemon.writing.bounds import render as render_bounded
from daemon.writing.context import DraftContext, sample_context, sparse_context
from daemon.writing.fit import interest_and_fit
from daemon.writing.prose import join_and, longdate, nl2br, topic

log = logging.getLogger(__name__)

KINDS = ("thank_you", "status_inquiry")


@dataclass(frozen=True)
class RenderedDraft:
    subject: str
    text: str
    html: str | None


@dataclass(frozen=True)
class _Slot:
    """One template: which file, and how to name it in an error message."""

    name: str  # loader name, "thank_you.txt.j2"; its suffix decides autoescaping
    path: Path | None  # the user's file, or None for the packaged default

    @property
    def label(self) -> str:
        kind, _, rest = self.name.partition(".")
        key = "html_template" if rest.startswith("html") else "template"
        if self.path is None:
            return f"default {kind} {key} (daemon/writing/languages/en/{self.name})"
        return f"{kind} {key} {self.path}"


_UNDEFINED = re.compile(r"^'(?P<name>[^']+)' is undefined$")
_NO_ATTRIBUTE = re.compile(r"^'(?P<obj>.+?)(?: object)?' has no attribute '(?P<attr>[^']+)'$")
_SUBJECT = re.compile(r"^Subject:[ \t]*(?P<subject>.*)$", re.IGNORECASE)


class Renderer:
    """Renders drafts from the user's templates or the packaged defaults.

    Templates are loaded on first use (and again when the file changes); every failure is a :class:`TemplateError`
    naming the template file and what was expected. Call :meth:`check` at start-up to find
    problems before the first draft is due.
    """

    def __init__(
        self,
        thank_you: Path | None = None,
        thank_you_html: Path | None = None,
        status_inquiry: Path | None = None,
        status_inquiry_html: Path | None = None,
    ) -> None:
        self._slots: dict[str, tuple[_Slot, _Slot | None]] = {}
        for kind, text, html in (
            ("thank_you", thank_you, thank_you_html),
            ("status_inquiry", status_inquiry, status_inquiry_html),
        ):
            html_slot: _Slot | None = _Slot(f"{kind}.html.j2", html)
            if text is not None and html is None:
                html_slot = None  # the user's own text, no HTML that says something else
            elif text is None and html is not None:
                log.warning(
                    "%s: html_template is set but template is not; the plain-text "
                    "part of the draft uses the default text",
                    kind,
                )
            self._slots[kind] = (_Slot(f"{kind}.txt.j2", text), html_slot)
        user = {s.name: s.path for pair in self._slots.values() for s in pair if s and s.path}
        dirs = sorted({str(p.parent) for p in user.values()})
        self._env = BoundedEnvironment(
            loader=ChoiceLoader(
                [FunctionLoader(lambda name: _source(name, user)), FileSystemLoader(dirs)]
            ),
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html.j2", "html", "htm"), default_for_string=False
            ),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters.update(topic=topic, join_and=join_and, longdate=longdate, nl2br=nl2br)
        self._env.globals.update(interest_and_fit=interest_and_fit)
        self._env.bound_filters()

    def render(self, kind: str, ctx: DraftContext) -> RenderedDraft:
        if kind not in self._slots:
            raise TemplateError(f"unknown draft kind {kind!r}; expected one of {', '.join(KINDS)}")
        text_slot, html_slot = self._slots[kind]
        subject, body = _split_subject(self._render(text_slot, ctx), text_slot.label)
        html = None
        if html_slot is not None:
            html = self._render(html_slot, ctx).strip("\n")
            if _SUBJECT.match(html.partition("\n")[0]):
                html = html.partition("\n")[2].lstrip("\n")
            html += "\n"
        return RenderedDraft(subject=subject, text=body, html=html)

    def check(self) -> list[str]:
        """Render every template with sample contexts; return the problems found (if any)."""
        problems: list[str] = []
        for kind in KINDS:
            text_slot = self._slots[kind][0]
            for number in (0,) if kind == "thank_you" else (1, 2):
                try:
                    self.render(kind, sample_context(inquiry_number=number))
                    sparse = self.render(kind, sparse_context(inquiry_number=number))
                except TemplateError as err:
                    if str(err) not in problems:
                        problems.append(str(err))
                    break
                if re.search(r"\bNone\b", f"{sparse.subject}\n{sparse.text}\n{sparse.html or ''}"):
                    problems.append(
                        f"{text_slot.label}: renders the word 'None' when company, role, notes "
                        "or the recipient's name are unknown; guard optional values with "
                        "{% if ... %}"
                    )
                    break
        return problems

    def _template(self, slot: _Slot) -> jinja2.Template:
        # Jinja caches compiled templates and reloads a user's file when its mtime changes,
        # so an edited template takes effect without a restart.
        try:
            return self._env.get_template(slot.name)
        except TemplateError:
            raise
        except jinja2.TemplateSyntaxError as err:
            where = f" line {err.lineno}"
            if err.filename and slot.path and Path(err.filename) != slot.path:
                where = f" (in {err.filename} line {err.lineno})"
            raise TemplateError(f"{slot.label}{where}: {err.message}") from err
        except jinja2.TemplateNotFound as err:  # {% extends %} is resolved when compiling
            raise TemplateError(f"{slot.label}: template {err.name!r} not found") from err

    def _render(self, slot: _Slot, ctx: DraftContext) -> str:
        template = self._template(slot)
        values = {f.name: getattr(ctx, f.name) for f in fields(ctx)}
        try:
            return render_bounded(template, values)
        except RenderLimit as err:
            line = err.line or _line_number(err.__traceback__, template)
            near = f"; check the {err.near} near line {line}" if line else f"; check the {err.near}"
            raise TemplateError(
                f"{slot.label}: {err.reason}; expected a draft of a few paragraphs{near}"
            ) from None
        except jinja2.UndefinedError as err:
            line = _line(err.__traceback__, template)
            raise TemplateError(f"{slot.label}{line}: {_undefined(str(err))}") from err
        except jinja2.TemplateNotFound as err:
            line = _line(err.__traceback__, template)
            raise TemplateError(
                f"{slot.label}{line}: included template {err.name!r} not found"
            ) from err
        except SecurityError as err:
            line = _line(err.__traceback__, template)
            raise TemplateError(f"{slot.label}{line}: not allowed in a template: {err}") from err
        except Exception as err:  # a filter or expression failed on this context
            line = _line(err.__traceback__, template)
            raise TemplateError(f"{slot.label}{line}: {type(err).__name__}: {err}") from err


def _source(name: str, user: dict[str, Path]) -> tuple[str, str, Any] | None:
    """Loader: the user's file for a slot name, else the packaged default, else None."""
    path = user.get(name)
    if path is None:
        if not re.fullmatch(r"(?:thank_you|status_inquiry)\.(?:txt|html)\.j2", name):
            return None
        resource = resources.files("daemon.writing") / "languages" / "en" / name
        return resource.read_text(encoding="utf-8"), str(resource), lambda: True
    label = _Slot(name, path).label
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        kind, key = label.split(" ")[:2]
        raise TemplateError(
            f"{label}: no such file; expected a Jinja2 template there "
            f"(or remove [{kind}].{key} to use the default)"
        ) from None
    except UnicodeDecodeError:
        raise TemplateError(f"{label}: expected UTF-8 text") from None
    except OSError as err:
        raise TemplateError(f"{label}: cannot read ({err.strerror})") from None
    mtime = path.stat().st_mtime
    return source, str(path), lambda: path.exists() and path.stat().st_mtime == mtime


def _line(tb: TracebackType | None, template: jinja2.Template) -> str:
    """' line N' of the template where rendering failed (from Jinja's rewritten traceback)."""
    line = _line_number(tb, template)
    return f" line {line}" if line else ""


def _line_number(tb: TracebackType | None, template: jinja2.Template) -> int | None:
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == template.filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _undefined(message: str) -> str:
    if match := _UNDEFINED.match(message):
        return f"undefined variable '{match['name']}'"
    if match := _NO_ATTRIBUTE.match(message):
        owner = match["obj"].rsplit(".", 1)[-1]
        return f"undefined attribute '{match['attr']}' of {owner}"
    return message


def _split_subject(output: str, label: str) -> tuple[str, str]:
    """('Subject' value, body) of a rendered text template."""
    first, _, body = output.lstrip("\n").partition("\n")
    match = _SUBJECT.match(first)
    if not match:
        raise TemplateError(
            f"{label}: expected a first line 'Subject: ...', then a blank line, then the body; "
            f"got {first.strip()[:60]!r}"
        )
    subject = " ".join(match["subject"].split())
    if not subject:
        raise TemplateError(f"{label}: the Subject line is empty; expected 'Subject: <text>'")
    lines = [line.rstrip() for line in body.split("\n")]
    text = "\n".join(lines).strip("\n")
    if not text:
        raise TemplateError(f"{label}: the body after the Subject line is empty")
    return subject, text + "\n"


__all__ = ["KINDS", "RenderedDraft", "Renderer"]
