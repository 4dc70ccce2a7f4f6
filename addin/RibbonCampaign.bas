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
' Keep this file ASCII: the project's code page is 1252.
Option Explicit

Sub OnValidate(control As IRibbonControl)
    RunPython "import campaign_report.macros as m; m.validate()"
End Sub

Sub OnSummarize(control As IRibbonControl)
    RunPython "import campaign_report.macros as m; m.aggregate()"
End Sub

Sub OnReport(control As IRibbonControl)
    RunPython "import campaign_report.macros as m; m.generate_report()"
End Sub
