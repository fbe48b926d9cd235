#!/usr/bin/env bash
# Make a drag-to-Applications .dmg from the .app that packaging/build.py builds on macOS
# (PyInstaller's BUNDLE step in packaging/stylestudio.spec). Run it on a Mac:
#
#   python packaging/build.py                       # packaging/out/dist/Style Studio.app
#   packaging/macos/make_dmg.sh                     # packaging/out/StyleStudio-<version>-macos-<arch>.dmg
#   packaging/macos/make_dmg.sh "path/to/Style Studio.app"
#
# Signing and notarization (optional, needs an Apple Developer ID):
#   STYLESTUDIO_CODESIGN_IDENTITY="Developer ID Application: ..."  (also read by the spec, which
#       then signs the app with packaging/macos/entitlements.plist and the hardened runtime)
#   STYLESTUDIO_NOTARY_PROFILE=<a profile made with `xcrun notarytool store-credentials`>
# Without them the app keeps PyInstaller's ad-hoc signature: it runs on the Mac that built it;
# elsewhere Gatekeeper asks the user to open it with right-click > Open the first time.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
APP="${1:-$REPO/packaging/out/dist/Style Studio.app}"
[[ "$(uname -s)" == "Darwin" ]] || { echo "make_dmg.sh needs macOS (hdiutil)" >&2; exit 2; }
[[ -d "$APP/Contents/MacOS" ]] || { echo "no app bundle at '$APP' (run python packaging/build.py first)" >&2; exit 1; }

VERSION="$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$REPO/pyproject.toml" | head -n1)"
DMG="$REPO/packaging/out/StyleStudio-$VERSION-macos-$(uname -m).dmg"
VOLUME="Style Studio $VERSION"

STAGING="$(mktemp -d)"
trap 'rm -rf "$STAGING"' EXIT
ditto "$APP" "$STAGING/Style Studio.app"          # ditto keeps symlinks, xattrs and signatures
ln -s /Applications "$STAGING/Applications"        # drag the app onto this

if [[ -n "${STYLESTUDIO_CODESIGN_IDENTITY:-}" ]]; then
  codesign --verify --deep --strict "$STAGING/Style Studio.app"
fi

rm -f "$DMG"
hdiutil create -volname "$VOLUME" -srcfolder "$STAGING" -fs HFS+ -format UDZO -imagekey zlib-level=9 -ov "$DMG"
hdiutil verify "$DMG"

if [[ -n "${STYLESTUDIO_CODESIGN_IDENTITY:-}" ]]; then
  codesign --sign "$STYLESTUDIO_CODESIGN_IDENTITY" --timestamp "$DMG"
  if [[ -n "${STYLESTUDIO_NOTARY_PROFILE:-}" ]]; then
    xcrun notarytool submit "$DMG" --keychain-profile "$STYLESTUDIO_NOTARY_PROFILE" --wait
    xcrun stapler staple "$DMG"
  fi
fi

echo "dmg: $DMG ($(du -h "$DMG" | cut -f1))"
