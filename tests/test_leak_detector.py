"""The canary check itself must be able to fail."""

import logging

from tests.conftest import LeakDetector


def test_detector_catches_secret_values_and_patterns() -> None:
    d = LeakDetector()
    d.secrets.add("SUPERSECRETVALUE")
    log = logging.getLogger("tether.test-detector")
    log.addHandler(d)
    log.propagate = False
    try:
        log.debug("nothing here")
        assert d.leaks == []
        log.debug("value %s", "SUPERSECRETVALUE")
        log.debug("sig $1$%s", "a" * 40)
        log.debug("Authorization: Bearer abcdef123456")
        log.debug("Authorization: Bearer ***")
    finally:
        log.removeHandler(d)
        log.propagate = True
    assert len(d.leaks) == 3
