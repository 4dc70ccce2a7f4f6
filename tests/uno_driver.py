"""Drive a headless LibreOffice through the 活动汇总 toolbar, as a user would click it.

Run by LibreOffice's Python (/usr/bin/python3 on Debian), not by the test venv:

    python3 uno_driver.py SPEC.json

SPEC: {"profile": dir, "oxt": file, "book": file, "fix": [sheet, cell, text], "pidfile": file}.
It starts soffice with that throwaway profile (its pid in pidfile), adds the extension
through the extension manager, loads the book, dispatches the toolbar's URLs on the
document's frame and prints what it sees after each click as JSON: the cells coloured,
the notes, the tool's sheets (values and formulas), the status cell, and where each link
of 校验结果 leads.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time

import uno
import unohelper
from com.sun.star.beans import PropertyValue
from com.sun.star.task import XInteractionHandler
from com.sun.star.ucb import XCommandEnvironment

PROTOCOL = "org.campaignreport.calc:"
CONTROL_SHEET = "控制台"
STATUS_CELL = "B12"


class Approve(unohelper.Base, XCommandEnvironment, XInteractionHandler):
    """The extension manager's questions answered yes, as a user clicking OK.

    Run as root (CI), adding an extension asks for a confirmation first.
    """

    def getInteractionHandler(self):
        return self

    def getProgressHandler(self):
        return None

    def handle(self, request):
        approve = uno.getTypeByName("com.sun.star.task.XInteractionApprove")
        for choice in request.getContinuations():
            if choice.queryInterface(approve) is not None:
                choice.select()
                return


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def letters(col):
    name = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        name = chr(65 + rest) + name
    return name


def connect(pipe, office):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    deadline = time.monotonic() + 90
    while True:
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:
            if time.monotonic() > deadline or office.poll() is not None:
                raise
            time.sleep(0.25)


def used(sheet):
    cursor = sheet.createCursor()
    cursor.gotoStartOfUsedArea(False)
    cursor.gotoEndOfUsedArea(True)
    return cursor


def snapshot(doc):
    """Colours and notes of every sheet, the tool's sheets, the status and the charts."""
    seen = {"colours": {}, "notes": {}, "sheets": list(doc.Sheets.ElementNames), "charts": {}}
    for name in doc.Sheets.ElementNames:
        sheet = doc.Sheets.getByName(name)
        cursor = used(sheet)
        for group in cursor.getUniqueCellFormatRanges():
            if group.CellBackColor == -1:
                continue
            for a in group.getRangeAddresses():
                for r in range(a.StartRow, a.EndRow + 1):
                    for c in range(a.StartColumn, a.EndColumn + 1):
                        seen["colours"][f"{name}!{letters(c)}{r + 1}"] = group.CellBackColor
        notes = sheet.Annotations
        for i in range(notes.getCount()):
            note = notes.getByIndex(i)
            where = f"{name}!{letters(note.Position.Column)}{note.Position.Row + 1}"
            seen["notes"][where] = note.String
        seen["charts"][name] = list(sheet.Charts.ElementNames)
    for name in ("校验结果", "汇总"):
        if doc.Sheets.hasByName(name):
            cursor = used(doc.Sheets.getByName(name))
            area = cursor.getRangeAddress()
            seen[name] = {
                "top": [area.StartRow + 1, area.StartColumn + 1],
                "values": [list(r) for r in cursor.getDataArray()],
                "formulas": [list(r) for r in cursor.getFormulaArray()],
            }
    if doc.Sheets.hasByName(CONTROL_SHEET):
        status = doc.Sheets.getByName(CONTROL_SHEET).getCellRangeByName(STATUS_CELL)
        seen["status"] = status.String
    return seen


def follow(doc, mark):
    """Where a link's target ('#' dropped) leads, resolved by Calc's own address parser.

    (Dispatching .uno:JumpToMark in a hidden headless view aborts soffice 7.4 at times.)
    """
    (found,) = doc.Sheets.getCellRangesByName(mark)
    address = found.getRangeAddress()
    sheet = doc.Sheets.getByIndex(address.Sheet).Name
    return f"{sheet}!{letters(address.StartColumn)}{address.StartRow + 1}"


def main():
    with open(sys.argv[1], encoding="utf-8") as file:
        spec = json.load(file)
    pipe = f"campaign{os.getpid()}"
    office = subprocess.Popen(
        [
            "soffice",
            f"-env:UserInstallation={uno.systemPathToFileUrl(spec['profile'])}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            f"--accept=pipe,name={pipe};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=sys.stderr if os.environ.get("CAMPAIGN_DEBUG") else subprocess.DEVNULL,
        start_new_session=True,
    )
    with open(spec["pidfile"], "w", encoding="utf-8") as file:
        file.write(str(office.pid))  # the caller kills the group if this script is killed
    try:
        ctx = connect(pipe, office)
        smgr = ctx.ServiceManager
        manager = ctx.getValueByName("/singletons/com.sun.star.deployment.ExtensionManager")
        manager.addExtension(uno.systemPathToFileUrl(spec["oxt"]), (), "user", None, Approve())
        installed = [
            e.getIdentifier().Value for e in manager.getDeployedExtensions("user", None, None)
        ]
        desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        helper = smgr.createInstanceWithContext("com.sun.star.frame.DispatchHelper", ctx)
        url = uno.systemPathToFileUrl(spec["book"])
        doc = desktop.loadComponentFromURL(url, "_blank", 0, (prop("Hidden", True),))

        def click(command, document=doc):
            print(f"click {command}", file=sys.stderr, flush=True)
            frame = document.CurrentController.Frame
            start = time.perf_counter()
            helper.executeDispatch(frame, PROTOCOL + command, "", 0, ())
            seconds = time.perf_counter() - start  # a figure to read, never asserted
            return {**snapshot(document), "seconds": round(seconds, 3)}

        seen = {"extensions": installed, "before": snapshot(doc)}
        seen["validate"] = click("validate")
        seen["links"] = {}
        for row in seen["validate"]["校验结果"]["formulas"]:
            for value in row:
                if isinstance(value, str) and value.startswith("=HYPERLINK("):
                    mark = value.split('"')[1].removeprefix("#")
                    seen["links"][value] = follow(doc, mark)
        sheet, cell, text = spec["fix"]
        doc.Sheets.getByName(sheet).getCellRangeByName(cell).setString(text)
        seen["revalidate"] = click("validate")
        seen["aggregate"] = click("aggregate")
        seen["report"] = click("generate_report")
        doc.close(True)
        # The same book as a new, never-saved document (a template opened as untitled).
        untitled = desktop.loadComponentFromURL(
            url, "_blank", 0, (prop("Hidden", True), prop("AsTemplate", True))
        )
        seen["unsaved_url"] = untitled.URL
        seen["unsaved_report"] = click("generate_report", untitled)
        untitled.close(True)
        print(json.dumps(seen, ensure_ascii=False))
        with contextlib.suppress(Exception):  # the bridge goes away with the office
            desktop.terminate()
        office.wait(timeout=30)
    finally:
        if office.poll() is None:
            os.killpg(office.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
