' Guards shared by the workbook's buttons (Module1) and the add-in's ribbon (RibbonMyAddin).
'
' campaign_report/excel_build.py inserts this text into both modules after their
' "Option Explicit" (VBA wants module-level declarations first). Each Const below
' holds a placeholder, a name between two at signs; the build replaces it with the
' UTF-16 code units (4 hex digits each) of the Chinese text excel_build.VBA_TEXTS
' holds under that name. CrText turns them back into text with ChrW,
' so this source stays ASCII (the projects' code page is 1252).
'
' What the guards catch, each with one Chinese message and never a VBA error dialog:
' - no workbook to work on (the add-in's ribbon with no book open), or the book in
'   Protected View (ActiveWorkbook is Nothing there);
' - a host that is not Microsoft Excel (WPS): RunPython cannot work there, so offer to
'   run the same step through the command line on the saved file and open its output.
' The Procedures are Private and prefixed Cr, so no name clashes with the xlwings module.

Private Const CR_TITLE As String = "@CR_TITLE@"
Private Const CR_NO_BOOK As String = "@CR_NO_BOOK@"
Private Const CR_PROTECTED As String = "@CR_PROTECTED@"
Private Const CR_NOT_EXCEL As String = "@CR_NOT_EXCEL@"
Private Const CR_SAVE_FIRST As String = "@CR_SAVE_FIRST@"
Private Const CR_CLI_FAILED As String = "@CR_CLI_FAILED@"
Private Const CR_FAILED As String = "@CR_FAILED@"
Private Const CR_FAILED_HINT As String = "@CR_FAILED_HINT@"
Private Const CR_TAG_VALIDATE As String = "@CR_TAG_VALIDATE@"
Private Const CR_TAG_AGGREGATE As String = "@CR_TAG_AGGREGATE@"
Private Const CR_TAG_REPORT As String = "@CR_TAG_REPORT@"
Private Const CR_TAG_MERGE As String = "@CR_TAG_MERGE@"

Private Function CrText(ByVal codes As String) As String
    ' Text from UTF-16 code units written as 4 hex digits each (two bytes, so never negative).
    Dim i As Long
    For i = 1 To Len(codes) Step 4
        CrText = CrText & ChrW(CLng("&H" & Mid$(codes, i, 2)) * 256 + CLng("&H" & Mid$(codes, i + 2, 2)))
    Next i
End Function

Private Sub CrSay(ByVal codes As String)
    MsgBox CrText(codes), vbExclamation, CrText(CR_TITLE)
End Sub

Private Function CrReady(ByVal stepName As String, wb As Object) As Boolean
    ' True when RunPython may run the step on wb; otherwise the user has had one message.
    CrReady = False
    If wb Is Nothing Then
        If CrInProtectedView() Then
            CrSay CR_PROTECTED
        Else
            CrSay CR_NO_BOOK
        End If
        Exit Function
    End If
    If Application.Name <> "Microsoft Excel" Then
        CrRunOutsideExcel stepName, wb
        Exit Function
    End If
    CrReady = True
End Function

Private Function CrInProtectedView() As Boolean
    ' ActiveProtectedViewWindow exists from Excel 2010 on; elsewhere the answer is False.
    On Error Resume Next
    CrInProtectedView = Not (Application.ActiveProtectedViewWindow Is Nothing)
End Function

Private Sub CrRunOutsideExcel(ByVal stepName As String, wb As Object)
    ' WPS and the like: run "python -m campaign_report <step> <saved file>" and open the result.
    Dim python As String, cmdLine As String, result As String, code As Long
    On Error GoTo Failed
    If MsgBox(CrText(CR_NOT_EXCEL), vbYesNo + vbExclamation, CrText(CR_TITLE)) <> vbYes Then Exit Sub
    If wb.Path = "" Or Not wb.Saved Then
        CrSay CR_SAVE_FIRST
        Exit Sub
    End If
    python = GetConfig("INTERPRETER_WIN", "python")  ' the xlwings module's lookup, as RunPython
    If python = "" Then python = "python"
    cmdLine = "cmd.exe /c " & Chr(34) & Chr(34) & python & Chr(34) & " -m campaign_report " & _
        stepName & " " & Chr(34) & wb.FullName & Chr(34) & " || pause" & Chr(34)
    code = CreateObject("WScript.Shell").Run(cmdLine, 1, True)
    result = CrOutput(stepName, wb)
    ' validate exits 1 when it found errors; it has still written the marked copy.
    If code <= 1 And CreateObject("Scripting.FileSystemObject").FileExists(result) Then
        CreateObject("Shell.Application").ShellExecute result
    Else
        CrSay CR_CLI_FAILED
    End If
    Exit Sub
Failed:
    CrFailed Err.Description
End Sub

Private Function CrOutput(ByVal stepName As String, wb As Object) As String
    ' The file the command line writes beside the book (steps.sibling): name.<tag>.<ext>
    Dim stem As String, tag As String, ext As String
    stem = wb.Name
    If InStrRev(stem, ".") > 0 Then stem = Left$(stem, InStrRev(stem, ".") - 1)
    ext = ".xlsx"
    Select Case stepName
        Case "validate": tag = CrText(CR_TAG_VALIDATE)
        Case "aggregate": tag = CrText(CR_TAG_AGGREGATE)
        Case "report": tag = CrText(CR_TAG_REPORT): ext = ".docx"
        Case "merge": tag = CrText(CR_TAG_MERGE): ext = LCase$(Mid$(wb.Name, InStrRev(wb.Name, ".")))
    End Select
    CrOutput = wb.Path & "\" & stem & "." & tag & ext
End Function

Private Sub CrFailed(ByVal description As String)
    ' The last resort of every Sub's error handler: a message, not the VBA Debug dialog.
    On Error Resume Next
    MsgBox CrText(CR_FAILED) & description & CrText(CR_FAILED_HINT), vbExclamation, CrText(CR_TITLE)
End Sub
