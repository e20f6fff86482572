#!/usr/bin/env bash
# Debian packages the test suite uses: kcat (an external Kafka producer).
# Java 17 and Maven are expected on the machine already (they run the broker).
set -euo pipefail
missing=()
command -v kcat >/dev/null || missing+=(kcat)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "system-deps: please install: ${missing[*]} (apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  echo "system-deps: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
