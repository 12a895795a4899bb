"""The native runner reads docker-compose.yml as its service manifest."""

import textwrap

import pytest

from smart_shelf.runner.manifest import load_manifest, with_dependencies


def test_the_repository_compose_file_describes_the_infrastructure():
    names = [s.name for s in load_manifest()]
    for service in ("redis", "postgres", "postgres-init", "kafka", "kafka-init", "kafka-connect"):
        assert service in names
    # dependencies come first
    assert names.index("kafka") < names.index("kafka-init") < names.index("kafka-connect")
    assert names.index("postgres") < names.index("postgres-init")


def _compose(tmp_path, body):
    path = tmp_path / "docker-compose.yml"
    path.write_text(textwrap.dedent(body))
    return path


def test_oneshot_infra_commands_and_order(tmp_path):
    path = _compose(
        tmp_path,
        """
        services:
          app:
            command: ["python", "-m", "app"]
            depends_on: {init: {condition: service_completed_successfully}}
          init:
            command: python -m init
            restart: "no"
            depends_on: [db]
          db:
            image: postgres:16
            x-native: {infra: postgres}
          docs:
            x-native: {skip: true}
    """,
    )
    specs = {s.name: s for s in load_manifest(path)}
    assert [s.name for s in load_manifest(path)] == ["db", "init", "app"]  # docs is Docker-only
    assert specs["init"].oneshot and not specs["app"].oneshot
    assert specs["init"].command == ("python", "-m", "init")
    assert specs["db"].infra == "postgres"


def test_with_dependencies_pulls_in_what_a_service_needs(tmp_path):
    path = _compose(
        tmp_path,
        """
        services:
          a: {command: x}
          b: {command: x, depends_on: [a]}
          c: {command: x, depends_on: [b]}
          d: {command: x}
    """,
    )
    assert [s.name for s in with_dependencies(load_manifest(path), ["c"])] == ["a", "b", "c"]
    with pytest.raises(KeyError):
        with_dependencies(load_manifest(path), ["nope"])


def test_dependency_cycles_are_reported(tmp_path):
    path = _compose(
        tmp_path,
        """
        services:
          a: {command: x, depends_on: [b]}
          b: {command: x, depends_on: [a]}
    """,
    )
    with pytest.raises(ValueError, match="cycle"):
        load_manifest(path)


def test_spark_jobs_run_natively_in_one_spark_application():
    from smart_shelf.runner.manifest import load_manifest, with_dependencies

    manifest = load_manifest()
    names = [s.name for s in manifest]
    jobs = [
        "shelf-aggregator",
        "batch-state-updater",
        "wh-aggregator",
        "wh-batch-state-updater",
        "alerts-sink",
    ]
    assert "spark-apps" in names and not set(jobs) & set(names)
    (app,) = [s for s in manifest if s.name == "spark-apps"]
    assert app.command[:3] == ("python", "-m", "spark_apps") and set(jobs) <= set(app.command[3:])
    assert not set(app.depends_on) & set(app.command[3:])  # its own jobs are not its dependencies
    # a job's name stands for the application that runs it
    assert [s.name for s in with_dependencies(manifest, ["wh-aggregator"])][-1] == "spark-apps"


def test_every_spark_job_in_the_manifest_is_a_runnable_module():
    from smart_shelf.runner.manifest import load_manifest
    from smart_shelf.spark.app import job_module

    (app,) = [s for s in load_manifest() if s.name == "spark-apps"]
    for job in app.command[3:]:
        module = job_module(job)
        assert module.JOB == job and callable(module.start) and module.SETTINGS
