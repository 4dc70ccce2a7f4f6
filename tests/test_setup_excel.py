"""setup-excel on a faked Windows PC: what it writes, idempotence, and --remove."""

from __future__ import annotations

import locale
import zipfile
from pathlib import Path

import pytest
from fake_pc import POLICY, TRUSTED, FakeWindowsPC, office_pc

from campaign_report import excel_setup as es
from campaign_report.errors import CampaignError
from campaign_report.excel_build import ADDIN_FILENAME, CUSTOMUI_PART, TEMPLATE_FILENAME
from campaign_report.office_pc import LocalPC


@pytest.fixture
def pc(tmp_path: Path) -> FakeWindowsPC:
    return office_pc(tmp_path)


def run_setup(pc: FakeWindowsPC, trust: bool = True) -> list[str]:
    said: list[str] = []
    es.setup(pc, said.append, lambda _question: trust)
    return said


def ours(pc: FakeWindowsPC) -> list[str]:
    """The trusted-location keys that name setup-excel as their author."""
    return [k for k, v in pc.registry.items() if v.get("Description") == es.TRUST_DESCRIPTION]


def test_interpreter_written_as_vba_reads_it(pc: FakeWindowsPC) -> None:
    run_setup(pc)
    expected = f'"INTERPRETER_WIN","{pc.executable}"\r\n'.encode("gbk")  # 张三 in the path
    for folder, name in (".xlwings", "xlwings.conf"), (".myaddin", "myaddin.conf"):
        assert (pc.home() / folder / name).read_bytes() == expected


def test_xlwings_reads_the_file_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """xlwings' own Python reader (utils.read_user_config) agrees, in the locale's encoding."""
    import xlwings
    from xlwings import utils

    pc = FakeWindowsPC(tmp_path, ansi_encoding=locale.getpreferredencoding(False))
    es.write_config_value(
        es.user_config_path(pc, "xlsm"), es.CONFIG_KEY, pc.executable, pc.ansi_encoding
    )
    monkeypatch.setattr(xlwings, "USER_CONFIG_FILE", str(es.user_config_path(pc, "xlsm")))
    assert utils.read_user_config() == {"interpreter_win": pc.executable}


def test_other_settings_of_the_user_are_kept(pc: FakeWindowsPC) -> None:
    config = es.user_config_path(pc, "xlsm")
    config.parent.mkdir()
    config.write_bytes(b'"SHOW CONSOLE","True"\r\n"Interpreter_Win","C:\\old\\python.exe"\r\n\r\n')
    run_setup(pc)
    assert config.read_bytes().decode("gbk").splitlines() == [
        '"SHOW CONSOLE","True"',
        f'"INTERPRETER_WIN","{pc.executable}"',
    ]


def test_addin_and_template_installed(pc: FakeWindowsPC) -> None:
    said = run_setup(pc)
    addin = Path(pc.environ["APPDATA"]) / "Microsoft" / "Excel" / "XLSTART" / ADDIN_FILENAME
    with zipfile.ZipFile(addin) as package:
        assert CUSTOMUI_PART in package.namelist()
    template = pc.home() / "Documents" / "活动汇总" / TEMPLATE_FILENAME
    with zipfile.ZipFile(template) as package:
        assert "xl/vbaProject.bin" in package.namelist()
    assert not template.stat().st_mode & 0o222  # read-only: a filled copy gets a new name
    assert any(str(addin) in line for line in said)


def test_trusted_location_added_when_accepted(pc: FakeWindowsPC) -> None:
    run_setup(pc, trust=True)
    (key,) = ours(pc)
    assert key.startswith(TRUSTED + "\\Location")
    folder = pc.home() / "Documents" / "活动汇总"
    assert pc.registry[key]["Path"] == f"{folder}\\"
    assert pc.registry[key]["AllowSubfolders"] == 0


def test_trusted_location_not_added_when_declined(pc: FakeWindowsPC) -> None:
    said = run_setup(pc, trust=False)
    assert ours(pc) == []
    assert any("setup-excel --yes" in line for line in said)


def test_no_question_when_policy_forbids_user_locations(pc: FakeWindowsPC) -> None:
    pc.set(f"{POLICY}\\Trusted Locations", "AllLocationsDisabled", 1)
    asked: list[str] = []
    es.setup(pc, lambda _: None, lambda q: asked.append(q) or True)
    assert asked == [] and ours(pc) == []


def test_setup_twice_changes_nothing_more(pc: FakeWindowsPC) -> None:
    run_setup(pc)
    config = es.user_config_path(pc, "xlam").read_bytes()
    registry = {k: dict(v) for k, v in pc.registry.items()}
    said = run_setup(pc)
    assert es.user_config_path(pc, "xlam").read_bytes() == config
    assert pc.registry == registry  # one trusted location, the same one
    assert any(line.startswith("已是最新") for line in said)
    assert any("已是受信任位置" in line for line in said)


def test_remove_undoes_setup_and_keeps_the_users_things(pc: FakeWindowsPC) -> None:
    before = {k: dict(v) for k, v in pc.registry.items()}
    pc.set(f"{TRUSTED}\\Location5", "Path", "D:\\台账\\")  # the user's own
    before[f"{TRUSTED}\\Location5"] = {"Path": "D:\\台账\\"}
    run_setup(pc)
    addin_config = es.user_config_path(pc, "xlam")
    addin_config.write_bytes(addin_config.read_bytes() + b'"SHOW CONSOLE","True"\r\n')
    folder = es.template_folder(pc)
    (folder / "3月台账.xlsm").write_bytes(b"the office's work")
    es.remove(pc, lambda _: None)
    assert pc.registry == before
    assert not es.user_config_path(pc, "xlsm").exists()  # only our line: the file goes
    assert addin_config.read_bytes() == b'"SHOW CONSOLE","True"\r\n'
    assert not es.addin_path(pc).exists()
    assert sorted(p.name for p in folder.iterdir()) == ["3月台账.xlsm"]
    es.remove(pc, lambda _: None)  # twice is fine
    assert (folder / "3月台账.xlsm").read_bytes() == b"the office's work"


def test_remove_keeps_an_interpreter_set_by_someone_else(pc: FakeWindowsPC) -> None:
    config = es.user_config_path(pc, "xlsm")
    config.parent.mkdir()
    config.write_bytes(b'"INTERPRETER_WIN","C:\\Anaconda3\\python.exe"\r\n')
    said: list[str] = []
    es.remove(pc, said.append)
    assert config.read_bytes() == b'"INTERPRETER_WIN","C:\\Anaconda3\\python.exe"\r\n'
    assert any("保留" in line and "Anaconda3" in line for line in said)


def test_a_path_the_ansi_code_page_cannot_hold(pc: FakeWindowsPC) -> None:
    pc.executable = "C:\\Users\\Zoë\\python.exe"  # ë is not in code page 936
    with pytest.raises(CampaignError, match="ANSI"):
        es.write_config_value(
            es.user_config_path(pc, "xlsm"), es.CONFIG_KEY, pc.executable, pc.ansi_encoding
        )


def test_not_on_windows() -> None:
    local = LocalPC()
    if local.system == "Windows":
        pytest.skip("this is about the other systems")
    with pytest.raises(CampaignError, match="只在 Windows"):
        es.setup(local, print, lambda _: True)


def test_the_command_sets_up_checks_and_removes(
    pc: FakeWindowsPC, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from campaign_report import cli, office_pc

    monkeypatch.setattr(office_pc, "LocalPC", lambda: pc)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)  # nobody to ask: no trust added
    assert cli.main(["setup-excel"]) == 0
    out = capsys.readouterr().out
    assert "setup-excel --yes" in out and ours(pc) == []
    report = out.split("—— 检查结果 ——")[1].splitlines()[1:]
    assert report and all(line.startswith(("[通过]", "[提示]")) for line in report)
    assert f"[通过] 文件 {TEMPLATE_FILENAME}：没有网络标记" in report
    assert cli.main(["setup-excel", "--yes"]) == 0 and len(ours(pc)) == 1
    assert cli.main(["setup-excel", "--remove"]) == 0
    assert ours(pc) == [] and not es.addin_path(pc).exists()
    assert "已撤销" in capsys.readouterr().out
