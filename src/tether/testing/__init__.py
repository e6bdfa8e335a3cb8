"""Test helpers for tether users: the pytest plugin (``tether.testing.pytest_plugin``) that
provides a running sandbox as the ``tether_sandbox`` fixture."""
