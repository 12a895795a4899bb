"""docker-compose.yml as a Docker user meets it: valid for docker-compose, every gate backed by a
healthcheck, pinned images, every deployable its own service, settings that reach the containers,
and the same system the native runner starts."""

import re
import shutil
import subprocess

import pytest
import yaml

from smart_shelf import settings as settings_module
from smart_shelf.paths import COMPOSE_FILE, REPO_ROOT
from smart_shelf.runner.manifest import load_manifest

COMPOSE = yaml.safe_load(COMPOSE_FILE.read_text())
SERVICES = COMPOSE["services"]
PROJECT_IMAGE = "smart-shelf:"


def _app_services():
    return {n: s for n, s in SERVICES.items() if str(s.get("image", "")).startswith(PROJECT_IMAGE)}


def _gates():
    """(dependant, dependency, condition) for every depends_on entry."""
    for name, body in SERVICES.items():
        depends = body.get("depends_on") or {}
        for target, rule in depends.items() if isinstance(depends, dict) else ((d, {}) for d in depends):
            yield name, target, (rule or {}).get("condition", "service_started")


def _deployables(folder: str) -> set[str]:
    return {p.parent.name for p in (REPO_ROOT / folder).glob("*/__main__.py")}


def test_docker_compose_accepts_the_file():
    binary = shutil.which("docker-compose")
    assert binary, "docker-compose is missing: `make setup` installs Debian's package"
    env_file = REPO_ROOT / ".env"
    # compose needs the env_file to exist; .env.example stands in for a fresh checkout's .env
    created = not env_file.exists()
    if created:
        shutil.copy(REPO_ROOT / ".env.example", env_file)
    try:
        result = subprocess.run([binary, "config", "-q"], cwd=REPO_ROOT, capture_output=True, text=True)
    finally:
        if created:
            env_file.unlink()
    assert result.returncode == 0, result.stderr


def test_every_healthy_gate_has_a_healthcheck_and_every_healthcheck_gates_something():
    healthy_targets = {target for _, target, cond in _gates() if cond == "service_healthy"}
    assert {t for t in healthy_targets if "healthcheck" not in SERVICES[t]} == set()
    with_check = {n for n, s in SERVICES.items() if "healthcheck" in s}
    assert with_check - healthy_targets == set()


def test_one_shots_gate_with_completed_successfully_and_are_one_shots():
    for dependant, target, condition in _gates():
        if condition == "service_completed_successfully":
            assert SERVICES[target].get("restart") == "no", (dependant, target)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_image_is_pinned(name):
    image = SERVICES[name].get("image")
    assert image and ":" in image and not image.endswith(":latest"), image


def test_the_project_image_is_built_once_and_never_pulled():
    built = [n for n, s in SERVICES.items() if "build" in s]
    assert built == ["image"]
    assert {n for n, s in _app_services().items() if s.get("pull_policy") != "never"} == {"image"}


def test_every_deployable_is_its_own_service():
    expected = {
        *_deployables("spark-apps"),
        *_deployables("kafka-components"),
        "sim-clock",
        "data-generator",
        "postgres-init",
    }
    named = {n.replace("_", "-") for n in SERVICES}
    assert {d.replace("_", "-") for d in expected} - named == set()


def test_every_app_service_reads_the_env_file_and_no_service_overrides_a_topic():
    for name, body in _app_services().items():
        assert body.get("env_file") == ".env", name
        assert [k for k in (body.get("environment") or {}) if k.startswith("TOPIC_")] == [], name


def _setting_names() -> set[str]:
    names = set()
    for value in vars(settings_module).values():
        if isinstance(value, type) and issubclass(value, settings_module.Settings):
            names |= {field.upper() for field in value.model_fields}
    return names


def test_every_variable_of_the_env_example_reaches_something_that_reads_it():
    variables = re.findall(r"^\s*#?\s*([A-Z][A-Z0-9_]*)=", (REPO_ROOT / ".env.example").read_text(), re.M)
    interpolated = set(re.findall(r"\$\{([A-Z0-9_]+)", COMPOSE_FILE.read_text()))
    compose_own = {v for v in variables if v.startswith("COMPOSE_")}
    unread = set(variables) - _setting_names() - interpolated - compose_own
    assert unread == set()


def test_the_env_example_is_only_comments_blank_lines_and_assignments():
    # python-dotenv and compose both warn about and skip any other line, silently losing a setting
    for number, line in enumerate((REPO_ROOT / ".env.example").read_text().splitlines(), start=1):
        assert (
            not line.strip() or line.startswith("#") or re.fullmatch(r"[A-Z][A-Z0-9_]*=.*", line)
        ), f".env.example line {number}: {line!r}"


def test_data_lives_in_named_volumes_kafka_included():
    declared = set(COMPOSE["volumes"])
    for name, body in SERVICES.items():
        for mount in body.get("volumes") or []:
            source = mount.split(":")[0]
            assert source in declared, f"{name} mounts {source} from the host"
    kafka = SERVICES["kafka"]
    data_dir = kafka["environment"]["KAFKA_LOG_DIRS"]
    assert f"kafka-data:{data_dir}" in kafka["volumes"]


def test_the_image_leaves_secrets_out():
    ignored = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    assert ".env" in ignored and "!.env.example" in ignored


def test_every_long_running_service_has_a_memory_limit_and_rotated_logs():
    for name, body in SERVICES.items():
        if body.get("restart") == "no":
            continue
        assert body.get("mem_limit"), name
        assert body.get("logging", {}).get("options", {}).get("max-size"), name


def test_the_native_run_and_compose_describe_the_same_services():
    native = {s.name: s for s in load_manifest()}
    members = set(native["spark-apps"].extra["members"])
    skipped = {n for n, s in SERVICES.items() if (s.get("x-native") or {}).get("skip")}
    assert set(SERVICES) - skipped == (set(native) - {"spark-apps"}) | members
    # the `lite` container runs exactly the jobs the native application folds in, in the same order
    lite = SERVICES["spark-apps"]
    assert lite["profiles"] == ["lite"]
    assert list(lite["command"][3:]) == native["spark-apps"].extra["members"]
    assert {n for n in members if SERVICES[n].get("profiles") != ["full"]} == set()
