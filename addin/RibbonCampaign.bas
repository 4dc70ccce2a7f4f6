Attribute VB_Name = "RibbonMyAddin"
' Ribbon callbacks of the campaign add-in (customUI.xml: onAction="RibbonMyAddin.OnX").
'
' Text source of the standard module "RibbonMyAddin" in the add-in's VBA project.
' campaign_report/excel_build.py writes it into the vbaProject.bin of xlwings'
' quickstart_addin_ribbon.xlam, whose "xlwings" module provides RunPython and
' runs it against ActiveWorkbook (the workbook the user is looking at).
' The module keeps the donor's name RibbonMyAddin: renaming a module rewrites
' the PROJECT, PROJECTwm and dir streams, an edit nobody has checked in Excel.
' IRibbonControl comes from the Office library, which the donor references.
' Each Sub first asks the guards in Guards.bas (appended to this module at build
' time) whether it may run, and has its own error handler: whatever fails, the
' user sees one Chinese message, never the VBA Debug dialog.
' Keep this file ASCII: the project's code page is 1252.
Option Explicit

Sub OnValidate(control As IRibbonControl)
    On Error GoTo Failed
    If Not CrReady("validate", ActiveWorkbook) Then Exit Sub
    RunPython "import campaign_report.macros as m; m.validate()"
    Exit Sub
Failed:
    CrFailed Err.Description
End Sub

Sub OnSummarize(control As IRibbonControl)
    On Error GoTo Failed
    If Not CrReady("aggregate", ActiveWorkbook) Then Exit Sub
    RunPython "import campaign_report.macros as m; m.aggregate()"
    Exit Sub
Failed:
    CrFailed Err.Description
End Sub

Sub OnReport(control As IRibbonControl)
    On Error GoTo Failed
    If Not CrReady("report", ActiveWorkbook) Then Exit Sub
    RunPython "import campaign_report.macros as m; m.generate_report()"
    Exit Sub
Failed:
    CrFailed Err.Description
End Sub

Sub OnMergeCopies(control As IRibbonControl)
    On Error GoTo Failed
    If Not CrReady("merge", ActiveWorkbook) Then Exit Sub
    RunPython "import campaign_report.macros as m; m.merge()"
    Exit Sub
Failed:
    CrFailed Err.Description
End Sub
