#!/usr/bin/env bash
# make setup: everything Smart Shelf needs on this machine, idempotently.
#   1. system packages (Java 17, Maven, PostgreSQL, Redis) from Debian, only where missing;
#   2. .venv with the pinned Python dependencies (reinstalled only when pyproject.toml changes);
#   3. the pinned jars into jars/ (refetched only when a pom changes);
#   4. the Spark JVMs' class archive (smart_shelf.spark.class_archive), again when the jars or the
#      Python dependencies (pyspark's own jars) change.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

have_postgres() { ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || command -v postgres >/dev/null; }

missing=()
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v redis-server >/dev/null || missing+=(redis-server)
have_postgres || missing+=(postgresql)
# `make test` checks docker-compose.yml with `docker-compose config -q` (no Docker engine needed)
command -v docker-compose >/dev/null || missing+=(docker-compose)
# the dashboard's browser test drives Debian's Chromium through its driver (no browser download)
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing system packages: ${missing[*]}"
  # Smart Shelf runs its own Postgres cluster and Redis: keep the packages from starting theirs.
  sudo_if_needed mkdir -p /etc/postgresql-common
  echo "create_main_cluster = false" | sudo_if_needed tee /etc/postgresql-common/createcluster.conf >/dev/null
  added_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | sudo_if_needed tee /usr/sbin/policy-rc.d >/dev/null
    sudo_if_needed chmod +x /usr/sbin/policy-rc.d
    added_policy=1
  fi
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  [ "$added_policy" -eq 1 ] && sudo_if_needed rm -f /usr/sbin/policy-rc.d
else
  log "system packages present (java, mvn, redis-server, postgres, docker-compose, chromium)"
fi

stamp() { cat "$@" | sha256sum | cut -c1-16; }

py_stamp=".venv/.installed-$(stamp pyproject.toml)"
if [ ! -f "$py_stamp" ]; then
  log "creating .venv and installing Python dependencies"
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  rm -f .venv/.installed-*
  touch "$py_stamp"
else
  log ".venv up to date"
fi

# every file of the Maven build (poms, settings, the sources of conf/jvm/local-fs), not its output
jar_stamp="jars/.fetched-$(stamp $(find conf/jvm -path '*/target' -prune -o -type f -print | sort))"
if [ ! -f "$jar_stamp" ]; then
  log "fetching jars from Maven Central into jars/"
  rm -rf jars
  mvn -B -q -s conf/jvm/settings.xml -f conf/jvm/pom.xml package
  touch "$jar_stamp"
else
  log "jars up to date"
fi
archive_stamp="jars/.archived-$(stamp pyproject.toml <(echo "$jar_stamp") <(java -version 2>&1))"
if [ ! -f "$archive_stamp" ]; then
  log "archiving the classes of a Spark session (about a minute; output in jars/spark-classes.log)"
  rm -f jars/.archived-*
  if .venv/bin/python -m smart_shelf.spark.class_archive jars/spark-classes.jsa >jars/spark-classes.log 2>&1; then
    touch "$archive_stamp"
  else  # Spark runs without it, only slower to start
    log "WARNING: archiving the Spark classes failed, see jars/spark-classes.log"
  fi
else
  log "Spark class archive up to date"
fi
if [ ! -f .env ]; then
  cp .env.example .env
  log "created .env from .env.example (edit it to change settings)"
fi

if ! .venv/bin/python -m store_data --if-missing >/dev/null; then
  log "generating the store data failed: see .venv/bin/python -m store_data"
  exit 1
fi
log "done"
