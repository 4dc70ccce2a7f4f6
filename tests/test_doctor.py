"""doctor against faked Windows PCs: each broken fact gives its line and what to do."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from fake_pc import POLICY, STORE_ALIAS, TRUSTED, USER_CHOICE, FakeWindowsPC, office_pc

from campaign_report import doctor, excel_setup
from campaign_report.doctor import OK, PROBLEM, SKIP, WARN
from campaign_report.excel_build import CONFIG_SHEET, XLWINGS_VERSION
from campaign_report.office_pc import LocalPC
from campaign_report.steps import new_workbook


@pytest.fixture
def pc(tmp_path: Path) -> FakeWindowsPC:
    return office_pc(tmp_path)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return new_workbook(tmp_path_factory.mktemp("template") / "台账.xlsm")


def by_name(checks: list[doctor.Check], name: str) -> doctor.Check:
    (found,) = [c for c in checks if c.name == name]
    return found


def problems(checks: list[doctor.Check]) -> list[str]:
    return [c.line() for c in checks if c.status in (PROBLEM, WARN)]


BUTTONS = "Python 路径（.xlsm 按钮）"
ADDIN = "Python 路径（加载项）"


def test_python_not_on_path_is_a_problem_for_both_entries(pc: FakeWindowsPC) -> None:
    checks = doctor.run(pc)
    for name in (BUTTONS, ADDIN):
        check = by_name(checks, name)
        assert check.status == PROBLEM
        assert "PATH 上也没有 python" in check.detail and "setup-excel" in check.fix
    assert doctor.has_problem(checks)


def test_the_store_alias_on_path_is_named(pc: FakeWindowsPC) -> None:
    pc.on_path["python"] = STORE_ALIAS
    check = by_name(doctor.run(pc), BUTTONS)
    assert check.status == PROBLEM and "应用商店" in check.detail and "应用执行别名" in check.fix


def test_this_python_on_path_is_fine(pc: FakeWindowsPC) -> None:
    pc.on_path["python"] = pc.executable
    assert by_name(doctor.run(pc), BUTTONS).status == OK


def test_a_configured_interpreter_that_is_gone(pc: FakeWindowsPC) -> None:
    config = excel_setup.user_config_path(pc, "xlsm")
    config.parent.mkdir()
    config.write_bytes(b'"INTERPRETER_WIN","C:\\Python38\\python.exe"\r\n')
    check = by_name(doctor.run(pc), BUTTONS)
    assert check.status == PROBLEM and "Python38" in check.detail and "不存在" in check.detail
    assert by_name(doctor.run(pc), ADDIN).status == PROBLEM  # its own file is still missing


def test_wps_as_the_default_program(pc: FakeWindowsPC) -> None:
    wps = "C:\\Users\\张三\\AppData\\Local\\Kingsoft\\WPS Office\\ksolaunch.exe"
    pc.set(USER_CHOICE, "ProgId", "KET.xlsm.12")
    pc.set("HKCR\\KET.xlsm.12\\shell\\open\\command", "", f'"{wps}" /et "%1"')
    check = by_name(doctor.run(pc), "打开 .xlsm 的程序")
    assert check.status == PROBLEM and "WPS" in check.detail and "打开方式" in check.fix


def test_excel_as_the_default_program(pc: FakeWindowsPC) -> None:
    check = by_name(doctor.run(pc), "打开 .xlsm 的程序")
    assert check.status == OK and "Excel.SheetMacroEnabled.12" in check.detail


def test_no_excel(pc: FakeWindowsPC) -> None:
    app_paths = {k: v for k, v in pc.registry.items() if "App Paths" in k}
    pc.registry = {k: v for k, v in pc.registry.items() if k not in app_paths}
    check = by_name(doctor.run(pc), "Excel")
    assert check.status == PROBLEM and "validate" in check.fix
    # 32-bit Office on 64-bit Windows registers under WOW6432Node.
    for key, values in app_paths.items():
        pc.registry[key.replace("SOFTWARE\\", "SOFTWARE\\WOW6432Node\\")] = values
    check = by_name(doctor.run(pc), "Excel")
    assert check.status == OK and "版本 16" in check.detail


@pytest.mark.parametrize(
    ("level", "status", "words"),
    [
        (None, OK, "启用内容"),
        (1, WARN, "启用所有宏"),
        (3, WARN, "数字签名"),
        (4, PROBLEM, "不通知"),
    ],
)
def test_macro_security_levels(pc: FakeWindowsPC, level, status, words) -> None:
    if level is not None:
        pc.set("HKCU\\Software\\Microsoft\\Office\\16.0\\Excel\\Security", "VBAWarnings", level)
    check = by_name(doctor.run(pc), "宏安全级别")
    assert check.status == status and words in check.detail


def test_a_policy_wins_over_the_users_setting(pc: FakeWindowsPC) -> None:
    pc.set("HKCU\\Software\\Microsoft\\Office\\16.0\\Excel\\Security", "VBAWarnings", 2)
    pc.set(POLICY, "VBAWarnings", 4)
    check = by_name(doctor.run(pc), "宏安全级别")
    assert check.status == PROBLEM and "组策略" in check.detail and "IT" in check.fix


def test_a_file_with_the_mark_of_the_web(pc: FakeWindowsPC, template: Path) -> None:
    pc.zones[template] = "[ZoneTransfer]\r\nZoneId=3\r\nReferrerUrl=https://mail.example.cn/\r\n"
    (check,) = [c for c in doctor.run(pc, [template]) if c.name == f"文件 {template.name}"]
    assert check.status == PROBLEM and "网络标记" in check.detail
    assert f"Unblock-File '{template}'" in check.fix


def test_a_file_from_the_intranet_zone_is_not_blocked(pc: FakeWindowsPC, template: Path) -> None:
    pc.zones[template] = "[ZoneTransfer]\r\nZoneId=1\r\n"
    (check,) = [c for c in doctor.run(pc, [template]) if c.name == f"文件 {template.name}"]
    assert check.status == OK and "没有网络标记" in check.detail


def test_a_missing_file(pc: FakeWindowsPC, tmp_path: Path) -> None:
    (check,) = doctor.check_file(pc, tmp_path / "没有.xlsm", "16.0")
    assert check.status == PROBLEM and "找不到" in check.detail


def test_the_addin_missing_then_installed(pc: FakeWindowsPC) -> None:
    check = by_name(doctor.run(pc), "功能区加载项")
    assert check.status == WARN and "未安装" in check.detail and "setup-excel" in check.fix
    excel_setup.setup(pc, say=lambda _: None, ask=lambda _: False)
    assert by_name(doctor.run(pc), "功能区加载项").status == OK


def test_wrong_xlwings_or_missing_dll(pc: FakeWindowsPC) -> None:
    (pc.xlwings_folder / f"xlwings64-{XLWINGS_VERSION}.dll").unlink()
    dll = by_name(doctor.run(pc), "xlwings DLL")
    assert dll.status == WARN and f"xlwings64-{XLWINGS_VERSION}.dll" in dll.detail
    pc.xlwings_version = "0.33.1"
    check = by_name(doctor.run(pc), "xlwings")
    assert check.status == PROBLEM and "0.33.1" in check.detail
    assert f"xlwings=={XLWINGS_VERSION}" in check.fix
    pc.xlwings_version = None
    assert by_name(doctor.run(pc), "xlwings").detail == "未安装"


def test_trusted_locations_disabled_by_policy(pc: FakeWindowsPC) -> None:
    pc.set(f"{POLICY}\\Trusted Locations", "AllLocationsDisabled", 1)
    check = by_name(doctor.run(pc), "受信任位置")
    assert check.status == WARN and "组策略" in check.detail


def test_a_healthy_pc_after_setup(pc: FakeWindowsPC, template: Path) -> None:
    """The usual PC has problems; after setup-excel (trust accepted) every line passes."""
    assert problems(doctor.run(pc))
    excel_setup.setup(pc, say=lambda _: None, ask=lambda _: True)
    installed = excel_setup.template_folder(pc) / "活动台账模板.xlsm"
    checks = doctor.run(pc, [installed])
    assert problems(checks) == []
    assert not doctor.has_problem(checks)
    assert by_name(checks, "受信任位置").status == OK
    (file_check,) = [c for c in checks if c.name.startswith("文件")]
    assert "受信任位置" in file_check.detail


def test_the_built_template_declares_the_installed_version_and_no_blank_rows(
    template: Path,
) -> None:
    assert doctor.vba_xlwings_version(template) == XLWINGS_VERSION
    assert doctor.blank_config_rows(template) == []


def test_an_old_file_with_blank_config_rows(pc: FakeWindowsPC, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.create_sheet(CONFIG_SHEET)
    for row in (["Interpreter_Win", None], ["PYTHONPATH", ""], ["Show Console", False]):
        sheet.append(row)
    old = tmp_path / "旧台账.xlsm"
    book.save(old)
    checks = doctor.check_file(pc, old, "16.0")
    (blank,) = [c for c in checks if "空行" in c.detail]
    assert blank.status == WARN and "Interpreter_Win、PYTHONPATH" in blank.detail


def test_on_this_linux_only_what_applies(tmp_path: Path, template: Path) -> None:
    local = LocalPC()
    if local.system == "Windows":
        pytest.skip("the Windows checks are tested with the fake PC")
    checks = doctor.run(local, [template])
    assert {c.name for c in checks if c.status != SKIP} >= {"Python", "xlwings"}
    skipped = [c for c in checks if c.status == SKIP]
    assert any("只能在 Windows 上检查" in c.detail for c in skipped)
    assert any("网络标记" in c.detail for c in skipped)
    assert not doctor.has_problem(checks)


def test_the_cli_prints_one_line_a_check(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from campaign_report.cli import main

    code = main(["doctor"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("[通过] Python：")
    assert all(line.startswith("[") and "：" in line for line in lines)
    assert code == (1 if any("[问题]" in line for line in lines) else 0)


def test_trusted_is_checked_by_folder(pc: FakeWindowsPC, tmp_path: Path) -> None:
    inside = Path(pc.environ["APPDATA"]) / "Microsoft" / "Excel" / "XLSTART" / "a.xlam"
    elsewhere = tmp_path / "下载" / "a.xlsm"
    assert excel_setup.is_trusted(pc, "16.0", inside) is not None
    assert excel_setup.is_trusted(pc, "16.0", elsewhere) is None
    pc.set(f"{TRUSTED}\\Location9", "Path", str(tmp_path))
    assert excel_setup.is_trusted(pc, "16.0", elsewhere) is None  # subfolders not allowed
    pc.set(f"{TRUSTED}\\Location9", "AllowSubfolders", 1)
    assert excel_setup.is_trusted(pc, "16.0", elsewhere) is not None
