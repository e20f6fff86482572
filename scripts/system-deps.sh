#!/usr/bin/env bash
# Debian packages the test suite uses: kcat (an external Kafka producer) and chromium (the
# dashboard's real-browser test drives Debian's headless Chromium with Playwright; no browser is
# downloaded). Java 17 and Maven are expected on the machine already (they run the broker).
# fonts-noto-color-emoji draws the dashboard's status dots in the test's screenshots; without
# root it is only suggested, since the tests pass without it.
set -euo pipefail
missing=()
command -v kcat >/dev/null || missing+=(kcat)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v chromium >/dev/null || missing+=(chromium)
optional=()
[[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]] || optional+=(fonts-noto-color-emoji)
if [[ $(id -u) -ne 0 ]]; then
  if ((${#optional[@]})); then
    echo "system-deps: suggested: apt-get install -y ${optional[*]}" >&2
  fi
  if ((${#missing[@]})); then
    echo "system-deps: please install: ${missing[*]} (apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  exit 0
fi
missing+=("${optional[@]}")
if ((${#missing[@]})); then
  echo "system-deps: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
