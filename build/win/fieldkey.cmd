@echo off
rem fieldkey.cmd: FieldKey's command line for consoles and scripts on Windows, installed beside
rem FieldKey.exe. FieldKey.exe is a windowed program, which a console does not wait for; this runs it
rem with the same arguments in this console, waits for it, and exits with its exit status, so output
rem can be redirected and ERRORLEVEL tested as with any console program. Examples:
rem   fieldkey.cmd doctor --json
rem   fieldkey.cmd policy check
rem Type the .cmd: plain "fieldkey" in this folder would start FieldKey.exe itself.
setlocal
start "" /b /wait "%~dp0FieldKey.exe" %*
exit /b %ERRORLEVEL%
