"""Measuring a report's pages: kept between runs, and LibreOffice started ahead of the need.

The layouts themselves are checked in test_layout.py; these tests check that a cached or an
early-started measurement gives the lines a plain rendering gives, and that no LibreOffice is
left running.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from campaign_report.adapters import pdf_layout
from campaign_report.document import Document, Paragraph, TextLine
from campaign_report.docx_writer import write_docx


def document(text: str) -> Document:
    return Document(
        title="关于测试的总结",
        blocks=(Paragraph(text),),
        date_line="2008年4月7日",
        issuer="测试办公室",
        issue_date="2008年4月7日",
        signature="测试办公室",
    )


def unmeasured(path: Path, text: str = "正文。") -> Path:
    return write_docx(document(text), path, measure=lambda _: None)


class FakeOffice:
    """Stands in for LibreOffice and pdftotext: counts renders, gives lines made from the file."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.rendered: list[str] = []
        monkeypatch.setattr(pdf_layout, "available", lambda: True)
        monkeypatch.setattr(pdf_layout, "render_pdfs", self.render)
        monkeypatch.setattr(pdf_layout, "read_lines", self.read)

    def render(self, paths: list[Path], outdir: Path) -> list[Path | None]:
        self.rendered += [p.name for p in paths]
        return [Path(p) for p in paths]  # read() looks at the .docx itself

    def read(self, pdf: Path) -> list[TextLine]:
        return [TextLine(1, 100.5, 120.25, 80.0, f"{pdf.stat().st_size}行")]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("CAMPAIGN_REPORT_CACHE", str(folder))
    return folder


def test_a_document_measured_before_is_not_rendered_again(cache, tmp_path, monkeypatch) -> None:
    office = FakeOffice(monkeypatch)
    first = unmeasured(tmp_path / "a.docx")
    lines = pdf_layout.measure_docx(first)
    assert office.rendered == ["a.docx"]
    assert pdf_layout.measure_docx(first) == lines
    time.sleep(1.1)  # the same document written a second later: only its time stamps differ
    again = unmeasured(tmp_path / "b.docx")
    assert pdf_layout.measure_docx(again) == lines
    assert office.rendered == ["a.docx"]


def test_another_document_is_rendered(cache, tmp_path, monkeypatch) -> None:
    office = FakeOffice(monkeypatch)
    pdf_layout.measure_docx(unmeasured(tmp_path / "a.docx", "正文。"))
    pdf_layout.measure_docx(unmeasured(tmp_path / "b.docx", "另一段正文。"))
    assert office.rendered == ["a.docx", "b.docx"]


def test_of_several_documents_only_the_new_ones_are_rendered(cache, tmp_path, monkeypatch) -> None:
    office = FakeOffice(monkeypatch)
    old = unmeasured(tmp_path / "a.docx", "正文。")
    first = pdf_layout.measure_docx(old)
    new = unmeasured(tmp_path / "b.docx", "另一段正文。")
    both = pdf_layout.measure_many([old, new])
    assert office.rendered == ["a.docx", "b.docx"]
    assert both[0] == first
    assert both[1] == office.read(new)


def test_a_damaged_entry_is_measured_again(cache, tmp_path, monkeypatch) -> None:
    office = FakeOffice(monkeypatch)
    path = unmeasured(tmp_path / "a.docx")
    lines = pdf_layout.measure_docx(path)
    for entry in cache.glob("*.json"):
        entry.write_text("[[1, 2", encoding="utf-8")
    assert pdf_layout.measure_docx(path) == lines
    assert office.rendered == ["a.docx", "a.docx"]


def test_a_failed_measurement_is_not_kept(cache, tmp_path, monkeypatch) -> None:
    office = FakeOffice(monkeypatch)
    monkeypatch.setattr(pdf_layout, "read_lines", lambda pdf: None)
    path = unmeasured(tmp_path / "a.docx")
    assert pdf_layout.measure_docx(path) is None
    assert pdf_layout.measure_docx(path) is None
    assert office.rendered == ["a.docx", "a.docx"]


def test_no_office_is_started_for_inputs_whose_layouts_are_all_kept(
    cache, tmp_path, monkeypatch
) -> None:
    FakeOffice(monkeypatch)
    started: list[list[str]] = []

    class Recorder:
        def __init__(self, command, **options) -> None:
            started.append(command)
            self.pid, self.returncode = -1, 0

        def wait(self, timeout=None) -> int:
            return 0

        def poll(self) -> int:
            return 0

    monkeypatch.setattr(pdf_layout.subprocess, "Popen", Recorder)
    monkeypatch.setattr(pdf_layout.os, "name", "posix")
    book = tmp_path / "台账.xlsx"
    book.write_bytes(b"the book")
    with pdf_layout.office_started([book]):
        pdf_layout.measure_docx(unmeasured(tmp_path / "a.docx"))
    assert len(started) == 1  # first time: started ahead
    with pdf_layout.office_started([book]):
        pdf_layout.measure_docx(unmeasured(tmp_path / "a.docx"))
    assert len(started) == 1  # same inputs, every layout kept: nothing to start
    book.write_bytes(b"the book, changed")
    with pdf_layout.office_started([book]):
        pass
    assert len(started) == 2


# --- with LibreOffice ---------------------------------------------------------------------------


@pytest.fixture
def office() -> None:
    if not (pdf_layout.available() and shutil.which("soffice")):
        pytest.skip("LibreOffice and pdftotext are needed")


def test_the_office_started_ahead_measures_as_a_fresh_one(office, tmp_path, monkeypatch) -> None:
    path = unmeasured(tmp_path / "a.docx", "正文。" * 40)
    monkeypatch.setenv("CAMPAIGN_REPORT_CACHE", str(tmp_path / "plain"))
    plain = pdf_layout.measure_docx(path)
    assert plain
    monkeypatch.setenv("CAMPAIGN_REPORT_CACHE", str(tmp_path / "early"))
    with pdf_layout.office_started():
        early = pdf_layout._early
        assert early is not None
        assert pdf_layout.measure_docx(path) == plain
        assert pdf_layout._early is None  # used once
        assert pdf_layout._quitting == [early]  # not waited for while the report goes on
    assert early.poll() is not None  # it quit (or was stopped) once the file was converted
    assert pdf_layout._quitting == []  # reaped at the block's end


def test_an_office_started_ahead_and_not_needed_is_stopped(office) -> None:
    with pdf_layout.office_started():
        early = pdf_layout._early
        assert early is not None
        pipes: list[Path] = []
        deadline = time.monotonic() + 30
        while Path("/proc").is_dir() and not pipes and time.monotonic() < deadline:
            time.sleep(0.2)  # until the office listens on its single-instance pipe
            pipes = pdf_layout._office_sockets(early.pid)
        assert pipes or not Path("/proc").is_dir()
    assert early.poll() is not None
    assert pdf_layout._early is None
    # Killed, it could not remove its pipe from the temp folder; the stopping did.
    assert [pipe for pipe in pipes if pipe.exists()] == []


def test_the_oldest_entries_go_beyond_the_limit(cache, tmp_path, monkeypatch) -> None:
    office = FakeOffice(monkeypatch)
    monkeypatch.setattr(pdf_layout, "KEEP_ENTRIES", 2)
    first = unmeasured(tmp_path / "a.docx", "甲。")
    pdf_layout.measure_docx(first)
    time.sleep(0.05)
    for number, text in enumerate(("乙。", "丙。")):
        pdf_layout.measure_docx(unmeasured(tmp_path / f"{number}.docx", text))
        time.sleep(0.05)
    assert len(list(cache.iterdir())) == 2
    pdf_layout.measure_docx(first)  # the oldest was dropped: measured again
    assert office.rendered.count("a.docx") == 2
