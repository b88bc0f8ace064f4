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

Languages
---------
The default templates are chosen by the draft's language (``ctx.language``): the folder
``languages/<code>/`` (:mod:`daemon.writing.phrases`). The user's own templates are used for
every draft of their kind, whatever its language: followupd cannot translate them, so the
greeting, dates and closing they print (``recipient.salutation``, ``interview.date_text``,
``closing``, ``longdate``/``shortdate``) follow the draft's language while their own words stay
as written; a template that should read differently per language branches on
``{% if language == "de" %}``. ``shortdate`` gives "March 31" / "31. März".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from jinja2 import ChoiceLoader, FileSystemLoader, FunctionLoader, StrictUndefined
from jinja2.sandbox import SecurityError

from daemon.errors import TemplateError
from daemon.writing import phrases
from daemon.writing.bounds import BoundedEnvironment, RenderLimit
from daemon.writing.bounds import render as render_bounded
from daemon.writing.context import DraftContext, sample_context, sparse_context
from daemon.writing.fit import interest_and_fit
from daemon.writing.phrases import Language
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

    # loader name: "thank_you.txt.j2" for the user's file, "de/thank_you.txt.j2" for a
    # language's default; its suffix decides autoescaping
    name: str
    path: Path | None  # the user's file, or None for the packaged default

    @property
    def label(self) -> str:
        code, _, file = self.name.rpartition("/")
        kind, _, rest = file.partition(".")
        key = "html_template" if rest.startswith("html") else "template"
        if self.path is None:
            return f"default {kind} {key} (daemon/writing/languages/{code}/{file})"
        return f"{kind} {key} {self.path}"

    def in_language(self, code: str) -> _Slot:
        """This slot for a draft in ``code``: the language's default, or the user's file."""
        if self.path is not None:
            return self
        return _Slot(f"{code}/{self.name.rpartition('/')[2]}", None)


NONE_PRINTED = (
    "renders the word 'None' when company, role, notes or the recipient's name are unknown; "
    "guard optional values with {% if ... %}"
)


class _PrintsNone(Exception):
    """A template printed None while ``check`` rendered the sample without optional values."""


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
        languages: Mapping[str, Language] | None = None,
    ) -> None:
        # Which languages' default templates exist: the shipped ones, or (in tests) a folder
        # of language folders read with phrases.discover.
        self._languages = dict(languages if languages is not None else phrases.shipped())
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
        self._user, self._dirs = tuple(user), tuple(dirs)
        self._no_none = False  # while check() renders the sparse sample: a printed None fails
        self._env = BoundedEnvironment(
            loader=ChoiceLoader(
                [
                    FunctionLoader(lambda name: _source(name, user, self._languages)),
                    FileSystemLoader(dirs),
                ]
            ),
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html.j2", "html", "htm"), default_for_string=False
            ),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            finalize=self._finalize,
        )
        self._env.filters.update(
            topic=topic,
            join_and=join_and,
            longdate=jinja2.pass_context(lambda c, day: longdate(day, self._language(c))),
            shortdate=jinja2.pass_context(lambda c, day: self._language(c).short_date(day)),
            nl2br=nl2br,
        )
        self._env.globals.update(interest_and_fit=interest_and_fit)
        self._env.bound_filters()

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._languages)

    def fingerprint(self) -> str:
        """A digest of the template texts the drafts depend on now (the user's files and
        what they include, the shipped languages; :mod:`daemon.writing.sources`): a
        follow-up that failed on a template is retried once this changes."""
        from daemon.writing.sources import digest

        return digest(self._env, self._user, self._dirs, self._languages)

    def _finalize(self, value: Any) -> Any:
        """Every ``{{ ... }}`` value: during ``check``, a None fails where it is printed, so
        the problem names the line (a draft still prints it: the word stays visible)."""
        if value is None and self._no_none:
            raise _PrintsNone
        return value

    def _language(self, context: jinja2.runtime.Context) -> Language:
        """The draft's language, as the template's ``language`` variable names it."""
        return self._languages.get(context.get("language"), phrases.get(phrases.DEFAULT))

    def render(self, kind: str, ctx: DraftContext) -> RenderedDraft:
        if kind not in self._slots:
            raise TemplateError(f"unknown draft kind {kind!r}; expected one of {', '.join(KINDS)}")
        if ctx.language not in self._languages:
            raise TemplateError(
                f"no templates for the draft language {ctx.language!r}; expected one of "
                f"{', '.join(self._languages)} (a folder under daemon/writing/languages/)"
            )
        text_slot, html_slot = self._slots[kind]
        text_slot = text_slot.in_language(ctx.language)
        html_slot = html_slot.in_language(ctx.language) if html_slot else None
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
        codes = sorted(self._languages, key=lambda c: c != phrases.DEFAULT)  # English first
        for kind, code in ((k, c) for k in KINDS for c in codes):
            text_slot = self._slots[kind][0].in_language(code)
            # The user's own template is rendered in every language but reported once.
            reported = any(p.startswith(text_slot.label) for p in problems)
            if text_slot.path is not None and code != phrases.DEFAULT and reported:
                continue
            for number in (0,) if kind == "thank_you" else (1, 2):
                try:
                    lang = self._languages[code]
                    self.render(kind, sample_context(lang, inquiry_number=number))
                    self._no_none = True
                    sparse = self.render(kind, sparse_context(lang, inquiry_number=number))
                except TemplateError as err:
                    if str(err) not in problems:
                        problems.append(str(err))
                    break
                finally:
                    self._no_none = False
                if re.search(r"\bNone\b", f"{sparse.subject}\n{sparse.text}\n{sparse.html or ''}"):
                    problems.append(f"{text_slot.label}: {NONE_PRINTED}")
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
        except _PrintsNone as err:
            line = _line(err.__traceback__, template)
            raise TemplateError(f"{slot.label}{line}: {NONE_PRINTED}") from None
        except Exception as err:  # a filter or expression failed on this context
            line = _line(err.__traceback__, template)
            raise TemplateError(f"{slot.label}{line}: {type(err).__name__}: {err}") from err


def _source(
    name: str, user: dict[str, Path], languages: Mapping[str, Language]
) -> tuple[str, str, Any] | None:
    """Loader: the user's file for a slot name, else a language's default ("de/thank_you.txt.j2"),
    else None."""
    path = user.get(name)
    if path is None:
        match = re.fullmatch(
            r"(?P<code>[^/]+)/(?:thank_you|status_inquiry)\.(?:txt|html)\.j2", name
        )
        if not match or match["code"] not in languages:
            return None
        resource = languages[match["code"]].template(name.rpartition("/")[2])
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
