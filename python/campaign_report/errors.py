"""The few exceptions that mean “cannot go on”; bad data is reported as issues instead."""


class CampaignError(Exception):
    """A problem the user can fix, with a one-line Chinese message."""


class BookReadError(CampaignError):
    """The workbook file cannot be opened or read at all."""


class TemplateError(CampaignError):
    """The report template is broken (its line and Jinja's message are in the text)."""


class RefusedError(CampaignError):
    """The step refuses to run (e.g. a report from a workbook with errors, without --force)."""


class OutputError(CampaignError, OSError):
    """An output cannot be written (the message names the real file and the reason)."""


def explain_failure(error: BaseException) -> tuple[str, int]:
    """One Chinese line and the exit code for any failure of a command.

    1 means the book has errors (a refused report), 2 that the step could not be done.
    """
    if isinstance(error, RefusedError):
        return str(error), 1
    if isinstance(error, CampaignError):
        return str(error), 2
    if isinstance(error, OSError):
        from .atomic import reason

        name = f"“{error.filename}”" if error.filename else "文件"
        return f"无法读写{name}：{reason(error)}", 2
    if isinstance(error, MemoryError):
        return "内存不足：工作簿太大，无法处理", 2
    if isinstance(error, RecursionError):
        return "内容嵌套太深，无法处理", 2
    return f"内部错误（{type(error).__name__}: {error}），请加 --debug 重试并把信息发给维护者", 2
