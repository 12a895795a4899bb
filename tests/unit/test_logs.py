"""The services' logging: one line per record on the stdout of the moment."""

import io
import logging
import sys

from smart_shelf.logs import configure_logging


def test_a_record_goes_to_the_stdout_of_the_moment_even_after_the_old_one_closed(monkeypatch):
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("INFO")
    try:
        first, second = io.StringIO(), io.StringIO()
        monkeypatch.setattr(sys, "stdout", first)
        logging.getLogger("svc").info("one")
        first.close()  # a test's capture ends; a thread of the service logs afterwards
        monkeypatch.setattr(sys, "stdout", second)
        logging.getLogger("svc").warning("two %d", 2)
        assert second.getvalue().endswith(" WARNING svc: two 2\n")
        assert "one" not in second.getvalue()
    finally:
        root.handlers[:], root.level = handlers, level
