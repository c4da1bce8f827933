; The credtray installer for Windows: a per-user install (no administrator rights) under
; %LOCALAPPDATA%\Programs\credtray, a Start-menu shortcut, an uninstaller listed in Apps,
; and, if chosen, "start at login" (the same Run key value as the tray's menu item).
;
; Built by installers/windows/build.sh with Debian's makensis (nothing downloaded):
;   makensis -DVERSION=0.1.0 -DEXE=credtray.exe -DSIGNIN=credtray-signin.exe \
;            -DWEBVIEW2LOADER=WebView2Loader.dll \
;            -DOUTFILE=credtray-0.1.0-setup.exe credtray.nsi
;
; Silent: `credtray-<version>-setup.exe /S` installs; add `/AUTOSTART` to also start
; credtray at login. `uninstall.exe /S` removes it. Both stop a running credtray first
; (its hidden "credtray-quit" window gets WM_CLOSE: the tray quits as from its menu,
; stopping its sessions; a `credtray agent` left after 10 s is ended).
; The uninstaller leaves the user's data: credtray's state (%APPDATA%\credtray), the AWS
; files and the secrets in Credential Manager (it removes only the empty lock files
; credtray made beside the AWS files).

Unicode true
; A 64-bit installer, like the program (a 32-bit one needs a 32-bit Windows layer: wine
; without wine32 cannot run it).
Target amd64-unicode
ManifestDPIAware true
SetCompressor /SOLID lzma
RequestExecutionLevel user

!ifndef VERSION
  !error "pass -DVERSION=x.y.z"
!endif
!ifndef EXE
  !error "pass -DEXE=path to credtray.exe"
!endif
!ifndef SIGNIN
  !error "pass -DSIGNIN=path to credtray-signin.exe"
!endif
!ifndef WEBVIEW2LOADER
  !error "pass -DWEBVIEW2LOADER=path to the x64 WebView2Loader.dll"
!endif
!ifndef OUTFILE
  !define OUTFILE "credtray-${VERSION}-setup.exe"
!endif

!define APP "credtray"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\credtray"
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define STARTUP_APPROVED_KEY "Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run"
!define QUIT_CLASS "credtray-quit"

Name "${APP}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP}"
; A later install goes where the first one went.
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"
BrandingText "${APP} ${VERSION}"

VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${APP}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${APP} ${VERSION} setup"
VIAddVersionKey "LegalCopyright" "Licensed under MIT OR Apache-2.0"

!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "LogicLib.nsh"
!include "WinMessages.nsh"

!define MUI_ICON "credtray.ico"
!define MUI_UNICON "credtray.ico"
!define MUI_ABORTWARNING
!define MUI_COMPONENTSPAGE_NODESC
!define MUI_FINISHPAGE_RUN "$INSTDIR\credtray.exe"
!define MUI_FINISHPAGE_RUN_TEXT "Start ${APP} now"

!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

; Stops a running credtray of this user: WM_CLOSE to the tray's hidden window (the tray
; quits as from its menu), waiting up to 10 s for it to go; then any credtray.exe left (an
; agent started from a terminal) is ended, since its file cannot be replaced while it runs.
!macro STOP_CREDTRAY un
Function ${un}StopCredtray
  Push $0
  Push $1
  StrCpy $1 0
  loop:
    FindWindow $0 "${QUIT_CLASS}"
    ${If} $0 == 0
      Goto done
    ${EndIf}
    ${If} $1 == 0
      DetailPrint "Stopping the running ${APP}..."
      SendMessage $0 ${WM_CLOSE} 0 0 /TIMEOUT=2000
    ${EndIf}
    IntOp $1 $1 + 1
    ${If} $1 > 40
      Goto done
    ${EndIf}
    Sleep 250
    Goto loop
  done:
  nsExec::Exec 'taskkill /F /IM credtray.exe'
  Pop $0
  Sleep 200
  Pop $1
  Pop $0
FunctionEnd
!macroend
!insertmacro STOP_CREDTRAY ""
!insertmacro STOP_CREDTRAY "un."

Section "${APP}" SecMain
  SectionIn RO
  Call StopCredtray
  SetOutPath "$INSTDIR"
  File "/oname=credtray.exe" "${EXE}"
  ; The SAML sign-in window, a program of its own, and its WebView2 loader (GNU build).
  File "/oname=credtray-signin.exe" "${SIGNIN}"
  File "/oname=WebView2Loader.dll" "${WEBVIEW2LOADER}"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  SetShellVarContext current
  CreateShortCut "$SMPROGRAMS\${APP}.lnk" "$INSTDIR\credtray.exe" "" "$INSTDIR\credtray.exe" 0 SW_SHOWMINIMIZED "" "AWS credentials from the keychain, in the tray"

  ; Apps (Settings) and Programs and Features.
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${APP}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\credtray.exe,0"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" "$0"
SectionEnd

; Unselected by default; /AUTOSTART selects it (see .onInit).
Section /o "Start ${APP} when I sign in" SecAutostart
  WriteRegStr HKCU "${RUN_KEY}" "${APP}" '"$INSTDIR\credtray.exe"'
SectionEnd

Function .onInit
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/AUTOSTART" $R1
  ${IfNot} ${Errors}
    SectionGetFlags ${SecAutostart} $0
    IntOp $0 $0 | ${SF_SELECTED}
    SectionSetFlags ${SecAutostart} $0
  ${EndIf}
FunctionEnd

Section "Uninstall"
  Call un.StopCredtray
  SetShellVarContext current
  Delete "$SMPROGRAMS\${APP}.lnk"
  ; "Start at login", whether the installer or the tray's menu set it.
  DeleteRegValue HKCU "${RUN_KEY}" "${APP}"
  DeleteRegValue HKCU "${STARTUP_APPROVED_KEY}" "${APP}"
  ; The empty lock files credtray keeps beside the AWS files (default location only).
  Delete "$PROFILE\.aws\credentials.credtray.lock"
  Delete "$PROFILE\.aws\config.credtray.lock"
  Delete "$INSTDIR\credtray.exe"
  Delete "$INSTDIR\credtray-signin.exe"
  Delete "$INSTDIR\WebView2Loader.dll"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
SectionEnd
