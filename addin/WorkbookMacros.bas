Attribute VB_Name = "Module1"
' Macros behind the buttons on the control sheet of the campaign workbook.
'
' Text source of the standard module "Module1" in the workbook's VBA project.
' campaign_report/excel_build.py writes it into the vbaProject.bin of xlwings'
' quickstart_standalone.xlsm, whose own "xlwings" module provides RunPython.
' The module keeps the donor's name Module1: renaming a module rewrites the
' PROJECT, PROJECTwm and dir streams, an edit nobody has checked in Excel.
' Sub names, captions and Python functions are listed once in
' excel_build.MACROS; a test checks that this file agrees with it.
' Each Sub first asks the guards in Guards.bas (appended to this module at build
' time) whether it may run, and has its own error handler: whatever fails, the
' user sees one Chinese message, never the VBA Debug dialog.
' Keep this file ASCII: the project's code page is 1252.
Option Explicit

Sub Validate()
    On Error GoTo Failed
    If Not CrReady("validate", ThisWorkbook) Then Exit Sub
    RunPython "import campaign_report.macros as m; m.validate()"
    Exit Sub
Failed:
    CrFailed Err.Description
End Sub

Sub Summarize()
    On Error GoTo Failed
    If Not CrReady("aggregate", ThisWorkbook) Then Exit Sub
    RunPython "import campaign_report.macros as m; m.aggregate()"
    Exit Sub
Failed:
    CrFailed Err.Description
End Sub

Sub Report()
    On Error GoTo Failed
    If Not CrReady("report", ThisWorkbook) Then Exit Sub
    RunPython "import campaign_report.macros as m; m.generate_report()"
    Exit Sub
Failed:
    CrFailed Err.Description
End Sub

Sub MergeCopies()
    On Error GoTo Failed
    If Not CrReady("merge", ThisWorkbook) Then Exit Sub
    RunPython "import campaign_report.macros as m; m.merge()"
    Exit Sub
Failed:
    CrFailed Err.Description
End Sub
