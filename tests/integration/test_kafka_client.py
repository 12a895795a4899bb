"""The project's Kafka consumer against a real broker: a backlog larger than one fetch is read without
the connection being dropped; `has_unread` tells whether fetched records wait unread."""

from __future__ import annotations

import logging
import secrets
import time

from smart_shelf.kafka_client import has_unread, make_consumer, make_producer

RECORDS = 12_000  # random padding, so about 2 MB gzipped in one partition: two fetches and more of 1 MiB


def test_a_backlog_of_several_fetches_is_read_without_a_dropped_connection(
    settings, topic_factory, unique, caplog
):
    topic = topic_factory("backlog", partitions=1)
    producer = make_producer(settings, batch_size=256 * 1024, linger_ms=50)
    for n in range(RECORDS):
        producer.send(topic, {"n": n, "pad": secrets.token_hex(150)})
    producer.flush()
    producer.close()

    consumer = make_consumer(settings, topic, group_id=f"test-{unique}")
    read, deadline = [], time.monotonic() + 60
    with caplog.at_level(logging.ERROR, logger="kafka"):
        while len(read) < RECORDS and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=1000).values():
                read += records
    consumer.close()
    assert len(read) == RECORDS
    # kafka-python's default refused a response over 1,000,000 bytes, dropped the connection, fetched again
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_has_unread_says_whether_records_wait_that_the_consumer_has_not_read(settings, topic_factory, unique):
    topic = topic_factory("unread", partitions=1)
    producer = make_producer(settings)
    for n in range(5):
        producer.send(topic, {"n": n})
    producer.flush()
    consumer = make_consumer(settings, topic, group_id=f"test-{unique}")
    try:
        assert has_unread(consumer)  # no partition yet: it cannot tell
        read, deadline = 0, time.monotonic() + 60
        while read == 0:
            assert time.monotonic() < deadline, "no record read"
            read += sum(len(r) for r in consumer.poll(timeout_ms=500, max_records=2).values())
        assert read == 2 and has_unread(consumer)  # three fetched, not yet read
        while read < 5:
            assert time.monotonic() < deadline, f"{read} of 5 records read"
            read += sum(len(r) for r in consumer.poll(timeout_ms=500, max_records=2).values())
        assert not has_unread(consumer)
        producer.send(topic, {"n": 5})  # one more: known from the broker before any fetch brings it
        producer.flush()
        assert has_unread(consumer)
        while read < 6:
            assert time.monotonic() < deadline, "the sixth record never read"
            read += sum(len(r) for r in consumer.poll(timeout_ms=500).values())
        assert not has_unread(consumer)
    finally:
        consumer.close()
        producer.close()
