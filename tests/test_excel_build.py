"""The Excel artefacts, checked without Excel: zip parts, VBA read back by olevba, LibreOffice.

What only a real Excel can tell (the buttons run, the ribbon shows) is listed in
addin/README.md.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import struct
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import olefile
import openpyxl
import pytest
import xlsxwriter

from campaign_report import excel_build as eb
from campaign_report.resources import addin_dir

with warnings.catch_warnings():  # oletools builds its pyparsing grammar with deprecated names
    warnings.simplefilter("ignore", DeprecationWarning)
    from oletools.olevba import VBA_Parser, decompress_stream

REPO = Path(__file__).resolve().parents[1]
VBA_PART = "xl/vbaProject.bin"
UI_NS = {"ui": eb.CUSTOMUI_NAMESPACE}
REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"

# Modules each donor ships; only the one named in _DONORS is edited.
DONOR_MODULES = {
    "workbook": {"ThisWorkbook", "Sheet1", "Sheet2", "Module1", "xlwings", "Dictionary"},
    "addin": {"ThisWorkbook", "Sheet2", "RibbonMyAddin", "xlwings", "Dictionary"},
}
EDITED_MODULE = {"workbook": eb.WORKBOOK_MODULE, "addin": eb.RIBBON_MODULE}
SOURCE_FILE = {"workbook": "WorkbookMacros.bas", "addin": "RibbonCampaign.bas"}
RIBBON_PARAMS = "control As IRibbonControl"


# --------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def xlsm_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("xlsm") / "control.xlsm"
    workbook = xlsxwriter.Workbook(str(path))
    eb.add_control_sheet(workbook, "解放思想大讨论活动台账")
    data = workbook.add_worksheet("活动记录")
    data.write_row(0, 0, ["单位", "日期", "人数"])
    data.write_row(1, 0, ["办公室", "2008-03-10", 12])
    workbook.close()
    return path


@pytest.fixture(scope="module")
def addin_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return eb.build_addin(tmp_path_factory.mktemp("xlam") / eb.ADDIN_FILENAME)


@pytest.fixture(scope="module")
def vba_bins(xlsm_path: Path, addin_path: Path) -> dict[str, bytes]:
    return {
        "workbook": parts(xlsm_path)[VBA_PART],
        "addin": parts(addin_path)[VBA_PART],
    }


# --------------------------------------------------------------------------------------
# Helpers: an independent reading of what pyOpenVBA wrote
# --------------------------------------------------------------------------------------


def parts(package: Path) -> dict[str, bytes]:
    """Every part of a zip package, by name, in the package's order."""
    with zipfile.ZipFile(package) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def olevba_modules(vba_bin: bytes) -> dict[str, str]:
    parser = VBA_Parser("vbaProject.bin", data=vba_bin)
    try:
        return {Path(name).stem: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def subs(code: str) -> dict[str, tuple[str, str]]:
    """Map each Sub of a module to (parameter list, body)."""
    pattern = re.compile(r"^Sub (\w+)\((.*?)\)\s*$(.*?)^End Sub", re.MULTILINE | re.DOTALL)
    return {m.group(1): (m.group(2).strip(), m.group(3).strip()) for m in pattern.finditer(code)}


# The command-line step each button runs in WPS (Guards.bas: CrRunOutsideExcel).
CLI_STEP = {
    "Validate": "validate",
    "Summarize": "aggregate",
    "Report": "report",
    "MergeCopies": "merge",
}


def guarded_body(macro: eb.Macro, kind: str) -> list[str]:
    """What every button's Sub holds: the guard, the RunPython line, its own error handler."""
    book = "ThisWorkbook" if kind == "workbook" else "ActiveWorkbook"
    return [
        "On Error GoTo Failed",
        f'If Not CrReady("{CLI_STEP[macro.vba_sub]}", {book}) Then Exit Sub',
        macro.run_python,
        "Exit Sub",
        "Failed:",
        "CrFailed Err.Description",
    ]


def lines(body: str) -> list[str]:
    return [line.strip() for line in body.splitlines() if line.strip()]


def streams(vba_bin: bytes) -> dict[str, bytes]:
    ole = olefile.OleFileIO(io.BytesIO(vba_bin))
    try:
        return {"/".join(entry): ole.openstream(entry).read() for entry in ole.listdir()}
    finally:
        ole.close()


def decompressed_dir(vba_bin: bytes) -> bytes:
    return bytes(decompress_stream(bytearray(streams(vba_bin)["VBA/dir"])))


def module_offsets(dir_stream: bytes) -> dict[str, tuple[int, int]]:
    """Walk the dir records (MS-OVBA 2.3.4.2): module name -> (MODULEOFFSET, its position)."""
    offsets: dict[str, tuple[int, int]] = {}
    position, name = 0, ""
    while position < len(dir_stream):
        record_id, size = struct.unpack_from("<HI", dir_stream, position)
        position += 6
        if record_id == 0x0009:  # PROJECTVERSION: Size says 4, the record carries 6 bytes
            size = 6
        data = dir_stream[position : position + size]
        if record_id == 0x0019:  # MODULENAME
            name = data.decode("cp1252")
        elif record_id == 0x0031:  # MODULEOFFSET
            offsets[name] = (struct.unpack("<I", data)[0], position)
        position += size
        if record_id == 0x0010:  # dir Terminator; its Size field is the Reserved 0
            break
    assert position == len(dir_stream), "bytes after the dir Terminator"
    return offsets


def donor_vba(kind: str) -> bytes:
    return parts(eb.donor_path(kind))[VBA_PART]


# --------------------------------------------------------------------------------------
# Text sources agree with MACROS
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["workbook", "addin"])
def test_bas_sources_agree_with_macros(kind: str) -> None:
    raw = (addin_dir() / SOURCE_FILE[kind]).read_bytes()
    raw.decode("ascii")  # code page 1252 project: ASCII only
    code = eb.vba_source(kind)
    assert code.splitlines()[0] == f'Attribute VB_Name = "{EDITED_MODULE[kind]}"'
    found = subs(code)
    names = [m.vba_sub if kind == "workbook" else m.ribbon_callback for m in eb.MACROS]
    assert list(found) == names
    for name, macro in zip(names, eb.MACROS, strict=True):
        params, body = found[name]
        assert params == ("" if kind == "workbook" else RIBBON_PARAMS)
        assert lines(body) == guarded_body(macro, kind)


def test_macros_name_the_requested_functions() -> None:
    table = {(m.vba_sub, m.caption, m.python_function) for m in eb.MACROS}
    assert table == {
        ("Validate", "校验", "campaign_report.macros.validate"),
        ("Summarize", "汇总", "campaign_report.macros.aggregate"),
        ("Report", "生成报告", "campaign_report.macros.generate_report"),
        ("MergeCopies", "合并", "campaign_report.macros.merge"),
    }
    assert eb.MACROS[0].run_python == 'RunPython "import campaign_report.macros as m; m.validate()"'


# --------------------------------------------------------------------------------------
# VBA projects
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["workbook", "addin"])
def test_vba_modules_read_back_with_olevba(kind: str, vba_bins: dict[str, bytes]) -> None:
    modules = olevba_modules(vba_bins[kind])
    assert set(modules) == DONOR_MODULES[kind]
    found = subs(modules[EDITED_MODULE[kind]])
    for macro in eb.MACROS:
        name = macro.vba_sub if kind == "workbook" else macro.ribbon_callback
        params, body = found[name]
        assert params == ("" if kind == "workbook" else RIBBON_PARAMS)
        assert lines(body) == guarded_body(macro, kind)
    # A public procedure of the same name elsewhere would make the button's call ambiguous.
    ours = {name.casefold() for name in found}
    procedure = re.compile(r"^\s*(?:Public |Private )?(?:Sub|Function)\s+(\w+)", re.I | re.M)
    for name, code in modules.items():
        if name != EDITED_MODULE[kind]:
            assert not ours & {p.casefold() for p in procedure.findall(code)}, name
    xlwings_module = modules["xlwings"]
    assert f'XLWINGS_VERSION As String = "{eb.XLWINGS_VERSION}"' in xlwings_module
    assert "Function RunPython(" in xlwings_module


@pytest.mark.parametrize("kind", ["workbook", "addin"])
def test_vba_project_stream_is_the_7_byte_form(kind: str, vba_bins: dict[str, bytes]) -> None:
    stream = streams(vba_bins[kind])["VBA/_VBA_PROJECT"]
    assert len(stream) == 7
    assert stream.startswith(bytes.fromhex("cc61ffff"))


@pytest.mark.parametrize("kind", ["workbook", "addin"])
def test_only_the_macro_module_and_its_offset_change(kind: str, vba_bins: dict[str, bytes]) -> None:
    before, after = streams(donor_vba(kind)), streams(vba_bins[kind])
    module = EDITED_MODULE[kind]
    assert set(before) == set(after)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {f"VBA/{module}", "VBA/dir"}  # PROJECT (ID, CMG, DPB, GC) untouched

    old_dir, new_dir = decompressed_dir(donor_vba(kind)), decompressed_dir(vba_bins[kind])
    old_offset, position = module_offsets(old_dir)[module]
    assert old_offset > 0  # the donor module carried p-code
    assert module_offsets(new_dir)[module][0] == 0  # ours is source only
    patched = old_dir[:position] + bytes(4) + old_dir[position + 4 :]
    assert new_dir == patched


def test_build_vba_project_writes_the_bin(tmp_path: Path, vba_bins: dict[str, bytes]) -> None:
    out = eb.build_vba_project("addin", tmp_path / "sub" / "vbaProject.bin")
    assert out.read_bytes() == vba_bins["addin"]
    assert list(tmp_path.joinpath("sub").iterdir()) == [out]  # no temp file left behind


def test_donor_must_be_the_pinned_xlwings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eb.metadata, "version", lambda _: "0.30.0")
    with pytest.raises(RuntimeError, match="0.37.8"):
        eb.donor_path("workbook")


# --------------------------------------------------------------------------------------
# The .xlsm with the control sheet
# --------------------------------------------------------------------------------------


def test_xlsm_buttons_call_the_subs(xlsm_path: Path) -> None:
    package = parts(xlsm_path)
    vml_parts = [n for n in package if n.startswith("xl/drawings/vmlDrawing")]
    assert len(vml_parts) == 1
    vml = package[vml_parts[0]].decode("utf-8")
    assert vml.count('ObjectType="Button"') == len(eb.MACROS)
    for macro in eb.MACROS:
        assert f"<x:FmlaMacro>[0]!{macro.vba_sub}</x:FmlaMacro>" in vml
        assert f">{macro.caption}<" in vml


def test_xlsm_parts_bind_the_vba_project(xlsm_path: Path) -> None:
    package = parts(xlsm_path)
    types = package["[Content_Types].xml"].decode()
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    assert package[VBA_PART] == eb.vba_project_bytes("workbook")
    assert 'codeName="ThisWorkbook"' in package["xl/workbook.xml"].decode()
    assert 'codeName="Sheet1"' in package["xl/worksheets/sheet1.xml"].decode()
    assert 'codeName="Sheet2"' in package["xl/worksheets/sheet2.xml"].decode()


def test_xlsm_opens_in_openpyxl_with_control_sheet_first(xlsm_path: Path) -> None:
    book = openpyxl.load_workbook(xlsm_path, keep_vba=True)
    assert book.sheetnames[0] == eb.CONTROL_SHEET
    control = book[eb.CONTROL_SHEET]
    assert control[eb.STATUS_LABEL_CELL].value == "状态："
    assert control[eb.STATUS_CELL].value is None
    texts = [control.cell(row, 2).value or "" for row in range(1, 12)]
    for macro in eb.MACROS:
        assert any(macro.help in text for text in texts)
    assert book.vba_archive is not None


def test_xlsm_config_sheet_is_what_xlwings_reads(xlsm_path: Path) -> None:
    book = openpyxl.load_workbook(xlsm_path, keep_vba=True)
    config = book[eb.CONFIG_SHEET]
    assert config.sheet_state == "hidden"
    keys = []
    row = 1
    while config.cell(row, 1).value:  # xlwings reads A1 down to the first empty cell
        keys.append(config.cell(row, 1).value)
        row += 1
    # A listed key wins over the user's xlwings.conf even when blank: none is listed blank,
    # so Interpreter_Win (written by setup-excel into the user's file) applies.
    values = {config.cell(i, 1).value: config.cell(i, 2).value for i in range(1, row)}
    assert [k for k, v in values.items() if v in (None, "")] == []
    assert not {k.upper() for k in keys} & {
        "INTERPRETER_WIN",
        "INTERPRETER",
        "PYTHONPATH",
        "CONDA PATH",
        "CONDA ENV",
    }
    assert values["Show Console"] is False  # compared with True in VBA: must not be empty
    notes = [config.cell(r, 1).value or "" for r in range(row + 1, row + 8)]
    assert any("Interpreter_Win" in note for note in notes)  # how to override for one file


def test_control_sheet_must_come_first(tmp_path: Path) -> None:
    workbook = xlsxwriter.Workbook(str(tmp_path / "late.xlsm"))
    workbook.add_worksheet("数据")
    with pytest.raises(ValueError, match=eb.CONTROL_SHEET):
        eb.add_control_sheet(workbook, "台账")
    workbook.close()


def run_soffice(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not on PATH")
    command = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_libreoffice_opens_the_xlsm(xlsm_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "pdf"
    result = run_soffice(
        ["--convert-to", "pdf", "--outdir", str(out), str(xlsm_path)], tmp_path / "profile"
    )
    assert result.returncode == 0, result.stderr
    pdf = out / f"{xlsm_path.stem}.pdf"
    assert pdf.is_file() and pdf.stat().st_size > 1000


# A second, independent VBA reader: LibreOffice's importer, driven over UNO by the system
# Python (the venv has no uno module). It prints the Basic modules it imported, as JSON.
UNO_READER = r"""
import json, os, signal, subprocess, sys, time
import uno
from com.sun.star.beans import PropertyValue

profile, *files = sys.argv[1:]
pipe = f"campaign{os.getpid()}"
office = subprocess.Popen(
    ["soffice", f"-env:UserInstallation={profile}", "--headless", "--invisible", "--norestore",
     f"--accept=pipe,name={pipe};urp;"],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(240):
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except Exception:
            time.sleep(0.25)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    hidden = PropertyValue()
    hidden.Name, hidden.Value = "Hidden", True
    result = {}
    for path in files:
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(path), "_blank", 0, (hidden,))
        libraries = doc.BasicLibraries
        result[path] = {}
        for name in libraries.getElementNames():
            libraries.loadLibrary(name)
            library = libraries.getByName(name)
            result[path][name] = {m: library.getByName(m) for m in library.getElementNames()}
        doc.close(True)
    print(json.dumps(result))
    desktop.terminate()
    office.wait(timeout=30)
finally:
    if office.poll() is None:
        os.killpg(office.pid, signal.SIGKILL)
"""


def uno_python() -> str:
    for candidate in ("/usr/bin/python3", shutil.which("python3")):
        if candidate and shutil.which("soffice"):
            probe = subprocess.run(
                [candidate, "-c", "import uno"], capture_output=True, check=False
            )
            if probe.returncode == 0:
                return candidate
    pytest.skip("no LibreOffice with a Python that imports uno")


def test_libreoffice_imports_the_vba(xlsm_path: Path, addin_path: Path, tmp_path: Path) -> None:
    # LibreOffice will not load any .xlam, so it reads a copy typed as a macro-enabled workbook.
    addin_copy = tmp_path / "addin-as-workbook.xlsm"
    with zipfile.ZipFile(addin_path) as source, zipfile.ZipFile(addin_copy, "w") as copy:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"addin.macroEnabled.main", b"sheet.macroEnabled.main")
            copy.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    script = tmp_path / "read_vba.py"
    script.write_text(UNO_READER)
    profile = (tmp_path / "profile").as_uri()
    command = [uno_python(), str(script), profile, str(xlsm_path), str(addin_copy)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    imported = json.loads(result.stdout)

    workbook = imported[str(xlsm_path)]["VBAProject"]
    assert set(workbook) == DONOR_MODULES["workbook"]
    addin = imported[str(addin_copy)]["MyAddin"]
    assert set(addin) == DONOR_MODULES["addin"]
    for macro in eb.MACROS:
        sub = subs(workbook[eb.WORKBOOK_MODULE])[macro.vba_sub]
        assert lines(sub[1]) == guarded_body(macro, "workbook")
        callback = subs(addin[eb.RIBBON_MODULE])[macro.ribbon_callback]
        assert callback[0] == RIBBON_PARAMS
        assert lines(callback[1]) == guarded_body(macro, "addin")


# --------------------------------------------------------------------------------------
# The ribbon add-in
# --------------------------------------------------------------------------------------


def test_addin_package_parts(addin_path: Path) -> None:
    package = parts(addin_path)
    types = ET.fromstring(package["[Content_Types].xml"])
    overrides = {o.get("PartName"): o.get("ContentType") for o in types.iter(f"{CT_NS}Override")}
    assert overrides["/xl/workbook.xml"] == eb.ADDIN_CONTENT_TYPE
    assert overrides["/xl/vbaProject.bin"] == "application/vnd.ms-office.vbaProject"
    rels = ET.fromstring(package["_rels/.rels"])
    ui = [r for r in rels.iter(f"{REL_NS}Relationship") if "ui/extensibility" in r.get("Type")]
    assert [(r.get("Type"), r.get("Target")) for r in ui] == [
        (eb.CUSTOMUI_REL_TYPE, eb.CUSTOMUI_PART)
    ]
    assert package[eb.CUSTOMUI_PART] == (addin_dir() / "customUI.xml").read_bytes()
    assert 'codeName="ThisWorkbook"' in package["xl/workbook.xml"].decode()


def test_addin_keeps_every_other_donor_part(addin_path: Path) -> None:
    donor, built = parts(eb.donor_path("addin")), parts(addin_path)
    assert list(donor) == list(built)
    changed = {name for name in donor if donor[name] != built[name]}
    assert changed == {eb.CUSTOMUI_PART, VBA_PART, "_rels/.rels"}


def test_ribbon_buttons_call_callbacks_in_the_vba(
    addin_path: Path, vba_bins: dict[str, bytes]
) -> None:
    root = ET.fromstring(parts(addin_path)[eb.CUSTOMUI_PART])
    assert root.tag == f"{{{eb.CUSTOMUI_NAMESPACE}}}customUI"
    assert root.find("ui:ribbon/ui:tabs/ui:tab", UI_NS).get("label") == "活动汇总"
    buttons = root.findall(".//ui:group/ui:button", UI_NS)
    assert len(buttons) == len(eb.MACROS) == 4
    modules = olevba_modules(vba_bins["addin"])
    for button, macro in zip(buttons, eb.MACROS, strict=True):
        assert button.get("label") == macro.caption
        assert button.get("supertip") == macro.help
        assert button.get("size") == "large" and button.get("imageMso")
        module, callback = button.get("onAction").split(".")
        assert (module, callback) == (eb.RIBBON_MODULE, macro.ribbon_callback)
        params, body = subs(modules[module])[callback]
        assert params == RIBBON_PARAMS
        assert lines(body) == guarded_body(macro, "addin")


def test_addin_build_is_reproducible(addin_path: Path, tmp_path: Path) -> None:
    again = eb.build_addin(tmp_path / eb.ADDIN_FILENAME)
    assert again.read_bytes() == addin_path.read_bytes()


def test_main_and_build_script_write_the_addin(tmp_path: Path) -> None:
    assert eb.main([str(tmp_path / "a")]) == 0
    assert (tmp_path / "a" / eb.ADDIN_FILENAME).is_file()
    script = REPO / "addin" / "build.py"
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "b")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "b" / eb.ADDIN_FILENAME).read_bytes() == (
        tmp_path / "a" / eb.ADDIN_FILENAME
    ).read_bytes()


def test_one_command_builds_both_excel_files(tmp_path: Path, capsys) -> None:
    from campaign_report.cli import main as cli_main

    assert cli_main(["excel", str(tmp_path)]) == 0
    template = tmp_path / eb.TEMPLATE_FILENAME
    addin = tmp_path / eb.ADDIN_FILENAME
    assert openpyxl.load_workbook(template, keep_vba=True).sheetnames[0] == eb.CONTROL_SHEET
    with zipfile.ZipFile(addin) as archive:
        assert b"addin.macroEnabled.main+xml" in archive.read("[Content_Types].xml")
    out = capsys.readouterr().out
    assert str(template) in out and str(addin) in out


# --------------------------------------------------------------------------------------
# VBA guards (addin/Guards.bas): no workbook, Protected View, WPS, any run-time error
# --------------------------------------------------------------------------------------


def vba_consts(code: str) -> dict[str, str]:
    """The guards' Const texts, decoded from their hex code units as CrText does."""
    found = re.findall(r'^Private Const (CR_\w+) As String = "([0-9A-F]*)"', code, re.M)
    return {name: bytes.fromhex(codes).decode("utf-16-be") for name, codes in found}


@pytest.mark.parametrize("kind", ["workbook", "addin"])
def test_guards_read_back_with_olevba(kind: str, vba_bins: dict[str, bytes]) -> None:
    code = olevba_modules(vba_bins[kind])[EDITED_MODULE[kind]].replace("\r\n", "\n")
    code.encode("ascii")  # the Chinese lives in hex code units, never in the source
    texts = vba_consts(code)
    assert texts == {k: v.replace("\n", "\r\n") for k, v in eb.VBA_TEXTS.items()}
    assert "受保护的视图" in texts["CR_PROTECTED"] and "WPS" in texts["CR_NOT_EXCEL"]
    # Declarations before the first procedure, as VBA requires.
    first_procedure = re.search(r"^(?:Private |Public )?(?:Sub|Function) ", code, re.M).start()
    assert code.rindex("Private Const CR_") < first_procedure
    for needle in (
        'If Application.Name <> "Microsoft Excel" Then',
        "Application.ActiveProtectedViewWindow Is Nothing",
        "If wb Is Nothing Then",
        "ChrW(",
        'GetConfig("INTERPRETER_WIN", "python")',
        " -m campaign_report ",
    ):
        assert needle in code, needle
    # Every procedure a user can start has its own handler; the helpers raise into it.
    for name, (_params, body) in subs(code).items():
        assert lines(body)[0] == "On Error GoTo Failed", name
        assert lines(body)[-2:] == ["Failed:", "CrFailed Err.Description"], name


def test_guard_texts_round_trip_through_the_hex() -> None:
    assert eb.vba_hex("活动汇总") == "6D3B52A86C47603B"  # U+6D3B U+52A8 U+6C47 U+603B
    assert eb.vba_hex("a\nb") == "0061000D000A0062"  # MsgBox line breaks are CRLF


def test_wps_route_opens_the_file_the_cli_writes(example: Path) -> None:
    """CrOutput names what `validate`/`aggregate`/`report` write: <stem>.<tag>.<ext>."""
    from campaign_report.cli import main
    from campaign_report.collect import COPIES_FOLDER
    from campaign_report.steps import split_file

    split_file(example, example.parent / COPIES_FOLDER)  # merge reads the copies beside the book
    expected = {
        "validate": f"{example.stem}.{eb.VBA_TEXTS['CR_TAG_VALIDATE']}.xlsx",
        "aggregate": f"{example.stem}.{eb.VBA_TEXTS['CR_TAG_AGGREGATE']}.xlsx",
        "report": f"{example.stem}.{eb.VBA_TEXTS['CR_TAG_REPORT']}.docx",
        "merge": f"{example.stem}.{eb.VBA_TEXTS['CR_TAG_MERGE']}.xlsx",
    }
    for step, name in expected.items():
        assert main([step, str(example)]) in (0, 1)  # validate says 1 when it found errors
        assert (example.parent / name).is_file(), step
    assert set(CLI_STEP.values()) == set(expected)


# --------------------------------------------------------------------------------------
# Document modules: every codeName in the workbook has one in the VBA project
# --------------------------------------------------------------------------------------


def test_every_code_name_has_its_document_module(tmp_path: Path) -> None:
    from campaign_report.steps import new_workbook

    template = new_workbook(tmp_path / "模板.xlsm")  # the full template: many data sheets
    package = parts(template)
    sheets = [n for n in package if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)]
    assert len(sheets) > 3
    code_names = {m for n in sheets for m in re.findall(r'codeName="([^"]+)"', package[n].decode())}
    workbook = package["xl/workbook.xml"].decode()
    assert re.findall(r'<workbookPr[^>]*codeName="([^"]+)"', workbook) == ["ThisWorkbook"]
    assert code_names == {"Sheet1", "Sheet2"}
    modules = set(olevba_modules(package[VBA_PART]))
    assert code_names | {"ThisWorkbook"} <= modules
