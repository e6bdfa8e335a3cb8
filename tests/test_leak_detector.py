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


def test_a_leaking_test_fails_even_under_xdist(tmp_path) -> None:
    """Run a test that logs a canary, with the suite's conftest and two workers: it must fail."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "test_leaks.py").write_text(
        "import logging\n\n"
        "def test_logs_a_canary():\n"
        "    logging.getLogger('tether.x').debug('secret %s', 'nope-nope-nope')\n"
    )
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), *sys.path]))
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "tests.conftest",
            "-n",
            "2",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert r.returncode == 1, r.stdout + r.stderr
    assert "SECRET LEAKED INTO LOGS" in r.stdout and "1 error" in r.stdout
