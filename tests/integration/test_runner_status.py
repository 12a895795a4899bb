"""The native runner's view of the running stack."""


def test_every_infrastructure_service_is_healthy(stack):
    rows = {row.name: row for row in stack.status()}
    for name in ("redis", "postgres", "kafka", "kafka-connect"):
        assert rows[name].state in ("running", "external"), name
        assert rows[name].health == "healthy", name
    for name in ("postgres-init", "kafka-init"):
        assert rows[name].state == "completed", name
