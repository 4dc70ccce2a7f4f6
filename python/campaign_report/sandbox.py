"""Jinja's sandbox with limits: a user's report template cannot exhaust time or memory.

Jinja's own sandbox stops escapes (no attributes of Python internals); it does not stop
``range(10**8)``, ``'x' * 10**9`` or ``10**10**6``. This one caps each of them, and the
rendered text, and :func:`render` turns every failure into a :class:`TemplateError` line.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from .errors import TemplateError

MAX_TEXT = 2_000_000  # characters of any string the template makes, and of the whole output
MAX_ITEMS = 100_000  # items of a range, and of all ranges of one rendering together
MAX_EXPONENT = 1_000
MAX_DIGITS = 4_000


class LimitExceeded(Exception):
    """The template asked for more than :data:`MAX_TEXT` / :data:`MAX_ITEMS` / …"""


class LimitedEnvironment(SandboxedEnvironment):
    """A sandbox whose ``*``, ``**``, ``range`` and string padding have bounds."""

    intercepted_binops = frozenset({"*", "**", "+", "<<"})

    def __init__(self, **options: Any) -> None:
        options.setdefault("loader", None)  # {% include %} / {% import %}: nothing to load
        super().__init__(**options)
        self.ranged = 0
        self.globals["range"] = self._range

    def _range(self, *args: int) -> range:
        numbers = range(*args)
        self.ranged += len(numbers)
        if len(numbers) > MAX_ITEMS or self.ranged > MAX_ITEMS * 10:
            raise LimitExceeded(f"range 太大（一次最多 {MAX_ITEMS} 项）")
        return numbers

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        if operator_ == "**":
            if _is_number(right) and abs(right) > MAX_EXPONENT:
                raise LimitExceeded(f"乘方的指数太大（最多 {MAX_EXPONENT}）")
            result = left**right
        elif operator_ == "<<":
            if _is_number(right) and right > MAX_EXPONENT:
                raise LimitExceeded("移位太大")
            result = left << right
        elif operator_ == "*":
            _check_repeat(left, right)
            result = left * right
        else:
            result = operator.add(left, right)
        _check_size(result)
        return result

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        # str.center(10**9), 'x'.ljust(…), '{}'.zfill(…) and the like; a figure handed to a
        # function of the report (a sum that happens to be big) is no padding and passes
        if isinstance(getattr(__obj, "__self__", None), (str, bytes)):
            for value in (*args, *kwargs.values()):
                if _is_number(value) and abs(value) > MAX_TEXT:
                    raise LimitExceeded(f"参数 {value} 太大")
        result = super().call(__context, __obj, *args, **kwargs)
        _check_size(result)
        return result


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_repeat(left: Any, right: Any) -> None:
    for items, times in ((left, right), (right, left)):
        repeated = isinstance(items, (str, list, tuple)) and isinstance(times, int)
        if repeated and len(items) * times > MAX_TEXT:
            raise LimitExceeded(f"重复后的内容太长（最多 {MAX_TEXT} 个字符或项）")


def _check_size(result: Any) -> None:
    if isinstance(result, (str, list, tuple)) and len(result) > MAX_TEXT:
        raise LimitExceeded(f"内容太长（最多 {MAX_TEXT} 个字符或项）")
    if isinstance(result, int) and result.bit_length() > MAX_DIGITS * 4:
        raise LimitExceeded("数字太大")


def limited_filters(filters: dict[str, Callable[..., Any]]) -> None:
    """Jinja's padding filters call ``str`` methods directly, past ``call``: bound them too."""
    for name in ("center", "indent", "wordwrap", "truncate", "format"):
        original = filters.get(name)
        if original is not None:
            filters[name] = _bounded(original)


def _bounded(filter_: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        for value in (*args[1:], *kwargs.values()):
            if _is_number(value) and abs(value) > 1000:
                raise LimitExceeded(f"参数 {value} 太大")
        result = filter_(*args, **kwargs)
        _check_size(result)
        return result

    for attribute in ("jinja_pass_arg",):  # keep pass_context / pass_environment markers
        if hasattr(filter_, attribute):
            setattr(run, attribute, getattr(filter_, attribute))
    return run


def render(env: LimitedEnvironment, source: str, context: dict[str, Any], name: str) -> str:
    """Render ``source``; any failure is one Chinese :class:`TemplateError` naming the line."""
    try:
        template = env.from_string(source)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateError(
            f"报告模板“{name}”第{error.lineno}行有语法错误：{error.message}"
        ) from None
    parts: list[str] = []
    render_into(template, context, name, parts.append)
    return "".join(parts)


def render_into(
    template: jinja2.Template, context: dict[str, Any], name: str, write: Callable[[str], None]
) -> None:
    """Render a compiled template chunk by chunk into ``write``, within the limits.

    A compiled template may be rendered many times: its range budget starts afresh each time.
    """
    environment = template.environment
    if isinstance(environment, LimitedEnvironment):
        environment.ranged = 0
    size = 0
    try:
        for part in template.generate(context):
            size += len(part)
            if size > MAX_TEXT:
                raise LimitExceeded(f"生成的正文太长（最多 {MAX_TEXT} 个字符）")
            write(part)
    except (Exception, RecursionError) as error:
        line = _template_line(error)
        where = f"第{line}行" if line else ""
        raise TemplateError(f"报告模板“{name}”{where}出错：{_describe(error)}") from None


def _describe(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "宏或循环嵌套太深"
    if isinstance(error, ZeroDivisionError):
        return "除以零"
    if isinstance(error, (LimitExceeded, jinja2.TemplateError)):
        return str(error)
    if isinstance(error, TypeError) and "no loader" in str(error):
        return "报告模板不能使用 include、import 或 extends"
    if isinstance(error, (OverflowError, MemoryError)):
        return "数字或内容太大"
    return f"{type(error).__name__}: {error}"


def _template_line(error: BaseException) -> int | None:
    """The template line of a runtime error, from the traceback Jinja rewrites."""
    tb = error.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
