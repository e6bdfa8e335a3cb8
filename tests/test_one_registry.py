"""One service registry: the sandbox serves exactly the services ``tether.services.registry``
declares with an emulator, at the API paths declared there, and each declared spec module is
the service as data."""

from __future__ import annotations

import importlib

from tether.sandbox import registry as sandbox_registry
from tether.services import registry


def test_the_sandbox_reads_the_service_registry() -> None:
    served = [(s.name, s.module, s.api_path) for s in sandbox_registry.SERVICES]
    declared = [(s.name, s.emulator, s.api_path) for s in registry.SERVICES if s.emulator]
    assert served == declared
    assert [name for name, _, _ in served] == ["ovh", "flickr", "vk"]


def test_every_declared_spec_module_exists() -> None:
    for service in registry.SERVICES:
        spec = importlib.import_module(service.spec)
        assert spec.__name__ == f"tether.services.{service.name}.spec"
