"""Suite-wide secret canary: every log record emitted at DEBUG during the whole run is checked
for secrets (the sandbox's credentials, signatures, bearer tokens, canary values tests use).
A leak fails the run at the end, naming the logger and the test."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

CANARIES = {"W" * 32, "nope-nope-nope"}  # wrong secrets that tests send on purpose
PATTERNS = [
    re.compile(r"\$1\$[0-9a-f]{40}"),  # OVH signatures
    re.compile(r"Bearer\s+(?!\*\*\*)[A-Za-z0-9._~+/-]{6,}"),  # bearer tokens
    re.compile(r"Basic\s+(?!\*\*\*)[A-Za-z0-9+/=]{8,}"),  # basic credentials
]


class LeakDetector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.secrets: set[str] = set(CANARIES)
        self.leaks: list[str] = []
        self.current_test = "(setup)"
        self.records = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.records += 1
        try:
            text = record.getMessage()
        except Exception:
            return
        if record.exc_info and record.exc_info[1] is not None:
            text += " " + str(record.exc_info[1])
        for secret in self.secrets:
            if secret and secret in text:
                self.leaks.append(
                    f"{self.current_test}: {record.name}: secret value in {text[:200]!r}"
                )
        for pattern in PATTERNS:
            if pattern.search(text):
                self.leaks.append(
                    f"{self.current_test}: {record.name}: {pattern.pattern} in {text[:200]!r}"
                )


DETECTOR = LeakDetector()


def pytest_configure(config: pytest.Config) -> None:
    root = logging.getLogger()
    root.addHandler(DETECTOR)
    root.setLevel(logging.DEBUG)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: Any) -> Iterator[None]:
    DETECTOR.current_test = item.nodeid
    yield


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    logging.getLogger().removeHandler(DETECTOR)
    if DETECTOR.leaks:
        tr = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = ["SECRET LEAKED INTO LOGS:", *DETECTOR.leaks[:20]]
        if tr is not None:
            tr.write_line("\n".join(lines), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def _no_secret_in_this_tests_logs() -> Iterator[None]:
    """A leak fails the test that logged it, at its teardown: the end-of-session report below
    runs in each worker under pytest-xdist, where its exit status does not reach the run's."""
    before = len(DETECTOR.leaks)
    yield
    new = DETECTOR.leaks[before:]
    if new:
        pytest.fail("SECRET LEAKED INTO LOGS:\n" + "\n".join(new[:5]), pytrace=False)


@pytest.fixture(autouse=True)
def _sandbox_secrets_are_canaries(request: pytest.FixtureRequest) -> None:
    """Whenever a test uses the sandbox, its credentials become canaries too."""
    if "tether_sandbox" in request.fixturenames:
        sb = request.getfixturevalue("tether_sandbox")
        for service in sb.credentials().values():
            for key, value in service.items():
                if (
                    isinstance(value, str)
                    and any(w in key for w in ("secret", "consumer_key", "token", "password"))
                    and "url" not in key
                ):
                    DETECTOR.secrets.add(value)
