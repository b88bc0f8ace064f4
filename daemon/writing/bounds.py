"""Rendering a template in bounded time and memory: a runaway user template is an error, not a hang.

Why: a user's template is code, and ``{% for i in range(100000) %}{% for j in range(100000) %}``
or ``{{ 'x' * 10**9 }}`` made ``check`` and the daemon hang (or swallow the machine's memory)
while rendering one draft. Jinja's sandbox keeps templates away from Python and caps ``range()``
at 100000 items, but bounds neither nesting nor output. :class:`BoundedEnvironment` adds, per
rendering:

- an output cap (:data:`MAX_OUTPUT`): the text is streamed with ``generate()`` and rendering
  stops once it grows past a size no draft of a few paragraphs reaches;
- a loop budget (:data:`MAX_ITERATIONS`): every ``{% for %}`` iterable is wrapped, so nested loops
  that print nothing stop too, deterministically;
- a deadline (:data:`MAX_SECONDS`), checked at every loop iteration, call, filter and operator,
  for what the counts cannot see (a macro that recurses twice per call);
- size checks on the operators and filters that can build huge values in one step (``*``,
  ``**``, ``%``, ``~``, ``center``, ``replace``, ...), before the value exists where possible.

A limit that is hit raises :class:`RenderLimit`; :mod:`daemon.writing.render` turns it into the
usual :class:`~daemon.errors.TemplateError` naming the template file and line.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from types import FrameType, GeneratorType
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import LoopContext
from jinja2.sandbox import SandboxedEnvironment

MAX_OUTPUT = 64 * 1024  # characters: a long draft is about 3000
MAX_ITERATIONS = 1_000_000  # loop iterations: a draft loops over a handful of notes
MAX_SECONDS = 2.0  # a draft renders in a few milliseconds
MAX_INT_BITS = MAX_OUTPUT * 8  # a number bigger than this could not even be printed in a draft
LIMIT_TEXT = f"{MAX_OUTPUT // 1024} KiB"

_GUARD = f"{__name__}.loop_guard"
_TOO_LONG = f"rendering stopped at a value of more than {LIMIT_TEXT}"


class RenderLimit(Exception):
    """Rendering went past a bound. ``near`` says what to look at ("loops", "macros", ...)."""

    def __init__(self, reason: str, near: str = "loops") -> None:
        super().__init__(reason)
        self.reason = reason
        self.near = near
        self.line: int | None = None  # set when the caller knows better than the traceback


@dataclass
class _Budget:
    deadline: float
    iterations: int = 0

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise RenderLimit(f"rendering stopped after {MAX_SECONDS:g} s", "loops and macros")


_budget: ContextVar[_Budget | None] = ContextVar("followupd_render_budget", default=None)


def _tick() -> None:
    budget = _budget.get()
    if budget is not None:
        budget.tick()


def loop_guard(iterable: Iterable[Any]) -> Iterator[Any]:
    """What every ``{% for %}`` of a bounded template iterates over: counts and checks the time."""
    budget = _budget.get()
    for item in iterable:
        if budget is not None:
            budget.iterations += 1
            if budget.iterations > MAX_ITERATIONS:
                raise RenderLimit(f"rendering stopped after {MAX_ITERATIONS:,} loop iterations")
            if budget.iterations % 64 == 0:
                budget.tick()
        yield item


def _too_big(value: Any) -> RenderLimit | None:
    if isinstance(value, str | list | tuple) and len(value) > MAX_OUTPUT:
        return RenderLimit(_TOO_LONG, "expressions")
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
        return RenderLimit(_TOO_LARGE, "arithmetic")
    return None


def _check(value: Any) -> Any:
    problem = _too_big(value)
    if problem is not None:
        raise problem
    return value


def _check_numbers(args: Iterable[Any], what: str) -> None:
    """Refuse a count or width no draft needs: ``'x'.ljust(10**9)`` would allocate a gigabyte."""
    for arg in args:
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_OUTPUT:
            raise RenderLimit(
                f"rendering stopped at {what} with the number {arg} (more than {MAX_OUTPUT})",
                "arguments",
            )


_PERCENT_WIDTH = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\d+|\*)?(?:\.(\d+|\*))?")


def _check_percent(text: str, args: Any) -> None:
    """``'%999999999d' % 1`` and ``'%*d' % (10**9, 1)``: refuse before the string exists."""
    for width, precision in _PERCENT_WIDTH.findall(text):
        for number in (width, precision):
            if number.isdigit() and int(number) > MAX_OUTPUT:
                raise RenderLimit(
                    f"rendering stopped at a %-format width above {MAX_OUTPUT}", "expressions"
                )
    _check_numbers(args if isinstance(args, tuple) else (args,), "a %-format")


_TOO_LARGE = "rendering stopped at a number too large to print"


def _check_operands(operator: str, left: Any, right: Any) -> None:
    """Refuse ``'x' * 10**9``, ``n * n`` and ``2 ** n`` of huge results before computing them."""
    numbers = isinstance(left, int) and isinstance(right, int)
    if operator == "*":
        for seq, count in ((left, right), (right, left)):
            if _length(seq) and isinstance(count, int) and _length(seq) * count > MAX_OUTPUT:
                raise RenderLimit(_TOO_LONG, "expressions")
        if numbers and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise RenderLimit(_TOO_LARGE, "arithmetic")
    elif operator == "**":
        if numbers and abs(left) > 1 and right * left.bit_length() > MAX_INT_BITS:
            raise RenderLimit(_TOO_LARGE, "arithmetic")
    elif operator == "%" and isinstance(left, str):
        _check_percent(left, right)


def _check_replace(text: str, new: tuple[Any, ...]) -> None:
    """``s.replace('x', s)`` multiplies lengths: refuse a result that may pass the cap."""
    if new and len(text) * max(_length(new[0]), 1) > MAX_OUTPUT * 16:
        raise RenderLimit(_TOO_LONG, "expressions")


def _length(value: Any) -> int:
    return len(value) if isinstance(value, str | list | tuple) else 0


class _BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with every loop iterable and ``~`` concatenation checked."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        for loop in node.find_all(nodes.For):
            loop.iter = nodes.Call(
                nodes.ImportedName(_GUARD), [loop.iter], [], None, None, lineno=loop.lineno
            )
        super().visit_Template(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded(")
        super().visit_Concat(node, frame)
        self.write(")")


class BoundedEnvironment(SandboxedEnvironment):
    """A sandbox whose renderings stop at :data:`MAX_OUTPUT`, :data:`MAX_ITERATIONS` and
    :data:`MAX_SECONDS`. Render with :func:`render`, which sets the budget; outside it (Jinja's
    own ``render()``) only the per-value size checks apply."""

    code_generator_class = _BoundedCodeGenerator
    # Intercepted operators are also never folded at compile time: `2 ** 10**9` in a template
    # would otherwise hang the compiler.
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        _tick()
        _check_operands(operator, left, right)
        return _check(super().call_binop(context, operator, left, right))

    def call(  # noqa: N805 (Jinja's signature: the double underscores avoid keyword clashes)
        __self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any
    ) -> Any:
        _tick()
        if isinstance(__obj, LoopContext) and args:  # `loop(children)` in a recursive loop
            args = (loop_guard(args[0]), *args[1:])
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):  # 'x'.ljust(10**9), s.replace('x', s)
            method = getattr(__obj, "__name__", "?")
            _check_numbers([*args, *kwargs.values()], f"str.{method}")
            if method == "replace":
                _check_replace(owner, args[1:2])
        return _check(super().call(__context, __obj, *args, **kwargs))

    def bounded(self, value: Any) -> Any:
        """The result of a ``~`` concatenation, refused when it grew too big."""
        return _check(value)

    def bound_filters(self) -> None:
        """Wrap every filter registered so far (call after adding your own)."""
        for name, function in list(self.filters.items()):
            if not getattr(function, "_followupd_bounded", False):
                self.filters[name] = _bounded_filter(name, function)


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    # Filters declared with @pass_context & co. get that argument before the value.
    skip = 2 if getattr(function, "jinja_pass_arg", None) is not None else 1

    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        value, rest = (args[skip - 1] if len(args) >= skip else None), args[skip:]
        if name == "format" and isinstance(value, str):
            _check_percent(value, tuple(rest))
        else:
            _check_numbers([*rest, *kwargs.values()], f"the filter '{name}'")
        if name == "replace":
            _check_replace(str(value), rest[1:2])
        return _check(function(*args, **kwargs))

    bounded._followupd_bounded = True  # type: ignore[attr-defined]
    return bounded


def render(template: jinja2.Template, values: dict[str, Any]) -> str:
    """Render ``template`` streaming, within the bounds; raise :class:`RenderLimit` past one."""
    token = _budget.set(_Budget(deadline=time.monotonic() + MAX_SECONDS))
    try:
        parts: list[str] = []
        size = 0
        stream = template.generate(values)
        for chunk in stream:
            size += len(chunk)
            if size > MAX_OUTPUT:
                limit = RenderLimit(f"rendering stopped after {LIMIT_TEXT} of output")
                limit.line = _current_line(stream, template)
                stream.close()
                raise limit
            parts.append(chunk)
        return "".join(parts)
    finally:
        _budget.reset(token)


def _current_line(stream: Iterator[str], template: jinja2.Template) -> int | None:
    """The template line a suspended rendering is at (the innermost frame of this template)."""
    frame: FrameType | None = None
    gen: Any = stream
    while isinstance(gen, GeneratorType):
        if gen.gi_frame is not None and gen.gi_frame.f_code.co_filename == template.filename:
            frame = gen.gi_frame
        gen = gen.gi_yieldfrom
    if frame is None:
        return None
    return template.get_corresponding_lineno(frame.f_lineno)
