"""The Kafka Connect worker as `connect-init` leaves it: every connector of the project RUNNING."""

import requests

from smart_shelf.connect.client import ConnectClient
from smart_shelf.connect.configs import connector_configs


def test_connect_worker_reports_its_kafka_cluster(stack, settings):
    info = requests.get(f"{settings.kafka_connect_url}/", timeout=10).json()
    assert info["version"].startswith("4.")
    assert info["kafka_cluster_id"]


def test_connect_init_left_every_connector_and_task_running(stack, settings):
    client = ConnectClient(settings.kafka_connect_url)
    expected = connector_configs(settings)
    assert set(expected) <= set(client.names())
    states = {name: client.state(name) for name in expected}
    assert {n: s.summary() for n, s in states.items() if not s.running} == {}
    # what runs is what the code generates (a stale config left by an older run would show here)
    for name, config in expected.items():
        live = requests.get(f"{settings.kafka_connect_url}/connectors/{name}/config", timeout=10).json()
        assert {k: live.get(k) for k in config if "password" not in k} == {
            k: v for k, v in config.items() if "password" not in k
        }
