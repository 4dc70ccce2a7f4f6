"""wording.cn: counts in Chinese numerals, as documents write them (as cn2an does)."""

from __future__ import annotations

import cn2an
import pytest
from hypothesis import given
from hypothesis import strategies as st

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


def test_every_count_up_to_twenty_thousand_reads_as_cn2an_writes_it() -> None:
    differing = [n for n in range(20001) if cn(n) != cn2an.an2cn(n)]
    assert differing == []


@given(st.integers(min_value=0, max_value=10**8 - 1))
def test_larger_counts_read_as_cn2an_writes_them(number: int) -> None:
    assert cn(number) == cn2an.an2cn(number)


@pytest.mark.parametrize("number", [10**8, 10**8 + 1, 1_500_005_878, 10**12 + 10])
def test_counts_from_one_yi_up_are_left_to_cn2an(number: int) -> None:
    assert cn(number) == cn2an.an2cn(number)
