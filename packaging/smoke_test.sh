#!/usr/bin/env bash
# Smoke-test a built Style Studio: builds nothing, only runs what is there.
#
#   packaging/smoke_test.sh packaging/out/dist/stylestudio         # the PyInstaller folder
#   packaging/smoke_test.sh "packaging/out/dist/Style Studio.app"  # macOS app bundle
#   packaging/smoke_test.sh /tmp/deb-tree                          # `dpkg-deb -x` of the .deb
#   packaging/smoke_test.sh /opt/style-studio                      # an installed .deb
#
# Runs `stylestudio --version` and `stylestudio self-test` from the bundle with
# QT_QPA_PLATFORM=offscreen, in a scrubbed environment (temporary HOME, no PYTHONPATH, no
# STYLESTUDIO_* variables) and from a temporary working folder, so nothing from a source checkout
# or the user's library can help it pass. For a .deb tree it also checks the launcher, the
# .desktop file and the icons. Any failure stops it with a message and a non-zero exit code.
set -euo pipefail

fail() { echo "SMOKE TEST FAILED: $*" >&2; exit 1; }
step() { echo "== $*"; }

[[ $# -eq 1 ]] || { echo "usage: $0 BUNDLE_FOLDER | APP_BUNDLE | DEB_TREE" >&2; exit 2; }
[[ -d "$1" ]] || fail "'$1' is not a folder"
TARGET="$(cd "$1" && pwd)"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# --- find the executable ----------------------------------------------------------------------
DEB_TREE=""
EXE=""
for candidate in \
    "$TARGET/stylestudio" "$TARGET/stylestudio.exe" \
    "$TARGET/Contents/MacOS/stylestudio" \
    "$TARGET/opt/style-studio/stylestudio"; do
  if [[ -f "$candidate" ]]; then EXE="$candidate"; break; fi
done
[[ -n "$EXE" ]] || fail "no stylestudio executable in $TARGET (looked for stylestudio, stylestudio.exe, Contents/MacOS/stylestudio, opt/style-studio/stylestudio)"
[[ -x "$EXE" ]] || fail "$EXE is not executable"
[[ "$EXE" == "$TARGET/opt/style-studio/stylestudio" ]] && DEB_TREE="$TARGET"
echo "executable: $EXE"

# --- a scrubbed environment -------------------------------------------------------------------
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/stylestudio-smoke.XXXXXX")"
trap 'rm -rf "$SCRATCH"' EXIT
mkdir -p "$SCRATCH/home" "$SCRATCH/cwd"
run_app() {
  (cd "$SCRATCH/cwd" && env -i \
      PATH="/usr/bin:/bin:/usr/sbin:/sbin" \
      HOME="$SCRATCH/home" \
      TMPDIR="$SCRATCH" \
      LANG="${LANG:-C.UTF-8}" \
      QT_QPA_PLATFORM=offscreen \
      ${SYSTEMROOT:+SYSTEMROOT="$SYSTEMROOT"} \
      ${WINDIR:+WINDIR="$WINDIR"} \
      ${USERPROFILE:+USERPROFILE="$SCRATCH/home"} \
      ${APPDATA:+APPDATA="$SCRATCH/home/AppData/Roaming"} \
      ${LOCALAPPDATA:+LOCALAPPDATA="$SCRATCH/home/AppData/Local"} \
      "$EXE" "$@")
}

# --- stylestudio --version ----------------------------------------------------------------------
step "stylestudio --version"
set +e
VERSION_OUT="$(run_app --version 2>&1)"
RC=$?
set -e
echo "$VERSION_OUT"
[[ $RC -eq 0 ]] || fail "'stylestudio --version' exited $RC"
[[ "$VERSION_OUT" =~ ^Style\ Studio\ [0-9] ]] || fail "'stylestudio --version' printed '$VERSION_OUT', not 'Style Studio <version>'"
if [[ -f "$HERE/../pyproject.toml" ]]; then
  WANT="$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$HERE/../pyproject.toml" | head -n1)"
  [[ -z "$WANT" || "$VERSION_OUT" == "Style Studio $WANT" ]] || fail "the bundle is version '${VERSION_OUT#Style Studio }', pyproject.toml says '$WANT' (a stale build?)"
fi

# --- stylestudio self-test ----------------------------------------------------------------------
step "stylestudio self-test"
set +e
run_app self-test 2>"$SCRATCH/self-test.err" | tee "$SCRATCH/self-test.out"
RC=${PIPESTATUS[0]}
set -e
if [[ $RC -ne 0 ]]; then
  echo "---- stderr of the self-test ----" >&2
  cat "$SCRATCH/self-test.err" >&2
  fail "'stylestudio self-test' exited $RC (the FAIL line above names the step)"
fi
grep -q "^ok   run a style job" "$SCRATCH/self-test.out" || fail "the self-test did not report the style job"
grep -q "^ok   gallery shows the style" "$SCRATCH/self-test.out" || fail "the self-test did not report the gallery"
grep -q "^FAIL" "$SCRATCH/self-test.out" && fail "the self-test printed a FAIL line but exited 0"

# --- the .deb's other files ---------------------------------------------------------------------
if [[ -n "$DEB_TREE" ]]; then
  step "the .deb's launcher, menu entry and icons"
  LAUNCHER="$DEB_TREE/usr/bin/stylestudio"
  [[ -x "$LAUNCHER" ]] || fail "usr/bin/stylestudio is missing or not executable"
  grep -q "/opt/style-studio/stylestudio" "$LAUNCHER" || fail "usr/bin/stylestudio does not start /opt/style-studio/stylestudio"
  DESKTOP="$DEB_TREE/usr/share/applications/stylestudio.desktop"
  [[ -f "$DESKTOP" ]] || fail "usr/share/applications/stylestudio.desktop is missing"
  grep -q "^Exec=stylestudio" "$DESKTOP" || fail "the .desktop file does not run stylestudio"
  if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate "$DESKTOP" || fail "desktop-file-validate refused the .desktop file"
  fi
  for size in 16 32 48 64 128 256 512; do
    [[ -f "$DEB_TREE/usr/share/icons/hicolor/${size}x${size}/apps/stylestudio.png" ]] || fail "no ${size}x${size} hicolor icon"
  done
  [[ -f "$DEB_TREE/usr/share/icons/hicolor/scalable/apps/stylestudio.svg" ]] || fail "no scalable hicolor icon"
  echo "launcher, .desktop file and icons are in place"
fi

echo "SMOKE TEST PASSED: $EXE"
