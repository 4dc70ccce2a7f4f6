"""wording.cn: counts in Chinese numerals, as documents write them (through cn2an)."""

from __future__ import annotations

import pytest

from campaign_report.wording import cn


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "零"),
        (6, "六"),
        (10, "十"),
        (12, "十二"),
        (20, "二十"),
        (101, "一百零一"),
        (110, "一百一十"),
        (1001, "一千零一"),
        (10010, "一万零一十"),
        (100000, "十万"),
        (100000000, "一亿"),
        (28, "二十八"),
    ],
)
def test_counts_read_as_documents_write_them(number: int, words: str) -> None:
    assert cn(number) == words


def test_other_values_are_left_as_text() -> None:
    assert cn(-3) == "-3"
    assert cn(True) == "True"
    assert cn(2.5) == "2.5"
    assert cn("六") == "六"
