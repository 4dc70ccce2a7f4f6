Attribute VB_Name = "Module1"
' Macros behind the three buttons on the control sheet of the campaign workbook.
'
' Text source of the standard module "Module1" in the workbook's VBA project.
' campaign_report/excel_build.py writes it into the vbaProject.bin of xlwings'
' quickstart_standalone.xlsm, whose own "xlwings" module provides RunPython.
' The module keeps the donor's name Module1: renaming a module rewrites the
' PROJECT, PROJECTwm and dir streams, an edit nobody has checked in Excel.
' Sub names, captions and Python functions are listed once in
' excel_build.MACROS; a test checks that this file agrees with it.
' Keep this file ASCII: the project's code page is 1252.
Option Explicit

Sub Validate()
    RunPython "import campaign_report.macros as m; m.validate()"
End Sub

Sub Summarize()
    RunPython "import campaign_report.macros as m; m.aggregate()"
End Sub

Sub Report()
    RunPython "import campaign_report.macros as m; m.generate_report()"
End Sub
