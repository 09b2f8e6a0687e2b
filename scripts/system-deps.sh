#!/usr/bin/env bash
# System packages: Tesseract with the Swedish model (OCR of scanned pages) and Chromium (UI tests).
# Installs only what is missing, and only when we may (root with apt-get).
set -uo pipefail
need=()
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)
tesseract --list-langs 2>/dev/null | grep -qx swe || need+=(tesseract-ocr-swe)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installerar systempaket: ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "Saknas (installera med apt): ${need[*]}" >&2
fi
