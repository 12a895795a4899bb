"""Where things live on disk, relative to the repository root."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
JARS_DIR = REPO_ROOT / "jars"
CONF_DIR = REPO_ROOT / "conf"
SQL_DIR = REPO_ROOT / "postgresql"
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
