; Inno Setup 6 script for Style Studio on Windows (x64).
;
; Build the bundle first (python packaging\build.py makes packaging\out\dist\stylestudio\),
; then, from the repository root:
;
;   iscc /DMyAppVersion=0.1.0 packaging\windows\stylestudio.iss
;
; Output: packaging\out\StyleStudio-<version>-windows-x64-setup.exe. The installer works per user
; (no administrator needed) or for all users, adds a Start menu entry, optionally a desktop
; icon, and optionally puts stylestudio on the PATH so `stylestudio --version` and
; `stylestudio self-test` work from a terminal. Unattended:
;
;   StyleStudio-0.1.0-windows-x64-setup.exe /VERYSILENT /CURRENTUSER /TASKS="addtopath"

#ifndef MyAppVersion
  #define MyAppVersion "0.1.0"
#endif
#define MyAppName "Style Studio"
#define MyAppExeName "stylestudio.exe"
#define MyAppPublisher "Style Studio contributors"
#define BundleDir "..\out\dist\stylestudio"

[Setup]
AppId={{D99E038F-1113-4FD4-BFE0-508DBEE33B4C}
AppName={#MyAppName}
AppVersion={#MyAppVersion}
AppVerName={#MyAppName} {#MyAppVersion}
AppPublisher={#MyAppPublisher}
VersionInfoVersion={#MyAppVersion}
DefaultDirName={autopf}\{#MyAppName}
DefaultGroupName={#MyAppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\out
OutputBaseFilename=StyleStudio-{#MyAppVersion}-windows-x64-setup
SetupIconFile=..\..\resources\icons\stylestudio.ico
UninstallDisplayIcon={app}\{#MyAppExeName}
UninstallDisplayName={#MyAppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesEnvironment=yes
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add stylestudio to the PATH (use it from a terminal)"; GroupDescription: "Command line:"; Flags: unchecked

[InstallDelete]
; an upgrade replaces the bundle whole: no stale library from an older version stays behind
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#MyAppName}"; Filename: "{app}\{#MyAppExeName}"; Comment: "Turn a description and a reference image into a reusable visual style"
Name: "{autodesktop}\{#MyAppName}"; Filename: "{app}\{#MyAppExeName}"; Tasks: desktopicon

[Registry]
; PATH for this user (per-user install) or for everyone (all-users install)
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: (not IsAdminInstallMode) and NeedsAddPath(ExpandConstant('{app}'))
Root: HKLM; Subkey: "SYSTEM\CurrentControlSet\Control\Session Manager\Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: IsAdminInstallMode and NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\{#MyAppExeName}"; Description: "{cm:LaunchProgram,{#MyAppName}}"; Flags: nowait postinstall skipifsilent

[Code]
function EnvironmentKey(var Root: Integer): String;
begin
  if IsAdminInstallMode then begin
    Root := HKEY_LOCAL_MACHINE;
    Result := 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment';
  end else begin
    Root := HKEY_CURRENT_USER;
    Result := 'Environment';
  end;
end;

function NeedsAddPath(Dir: String): Boolean;
var
  Root: Integer;
  Paths: String;
begin
  if not RegQueryStringValue(Root, EnvironmentKey(Root), 'Path', Paths) then begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';') = 0;
end;

procedure RemoveFromPath(Dir: String);
var
  Root: Integer;
  Key, Paths, S: String;
  P: Integer;
begin
  Key := EnvironmentKey(Root);
  if not RegQueryStringValue(Root, Key, 'Path', Paths) then
    exit;
  S := ';' + Paths + ';';
  P := Pos(';' + Uppercase(Dir) + ';', Uppercase(S));
  if P = 0 then
    exit;
  Delete(S, P, Length(Dir) + 1);  { ";A;DIR;B;" -> ";A;B;" }
  S := Copy(S, 2, Length(S) - 2);
  RegWriteExpandStringValue(Root, Key, 'Path', S);
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usPostUninstall then
    RemoveFromPath(ExpandConstant('{app}'));
end;
