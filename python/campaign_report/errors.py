"""The few exceptions that mean “cannot go on”; bad data is reported as issues instead."""


class CampaignError(Exception):
    """A problem the user can fix, with a one-line Chinese message."""


class BookReadError(CampaignError):
    """The workbook file cannot be opened or read at all."""


class TemplateError(CampaignError):
    """The report template is broken (its line and Jinja's message are in the text)."""


class RefusedError(CampaignError):
    """The step refuses to run (e.g. a report from a workbook with errors, without --force)."""
