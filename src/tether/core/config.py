"""Layered settings that remember where each value came from.

A ``Settings`` object is built from an ordered list of sources, highest priority first:
constructor arguments, environment variables, INI files. ``settings.get(name)`` returns the
value; ``settings.explain()`` lists every setting with its provenance ("argument",
"environment variable OVH_ENDPOINT", "/home/me/.ovh.conf [ovh-eu]") for ``tether config explain``.

Invariants:
- Reading is pure apart from the file reads done once at construction; nothing is cached
  globally, so each client sees the files as they are when it is built.
- A missing file is skipped silently (as python-ovh does); an unreadable or malformed one is a
  ``ConfigError`` naming the file and what to fix.
- ``None`` means "not given"; an empty string is a given value (python-ovh semantics).
- Secret values are never shown by ``explain()``; only whether they are set. Application /
  API keys are shown: they identify the application and travel in the clear (OVH's
  ``X-Ovh-Application`` header, Flickr's ``api_key`` parameter), so a user can tell which one
  is in use.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from tether.core.errors import ConfigError
from tether.core.redact import REDACTED, is_secret


@dataclass(frozen=True)
class Setting:
    name: str
    value: str | None
    source: str  # human-readable provenance; "unset" when no source had it

    def shown(self) -> str:
        if self.value is None:
            return "(unset)"
        if self.name in _PUBLIC_KEYS:
            return self.value
        if is_secret(self.name) or self.name.endswith(("secret", "key", "password", "token")):
            return REDACTED
        return self.value


_PUBLIC_KEYS = frozenset({"application_key", "api_key"})


@dataclass(frozen=True)
class Explanation:
    """What ``tether config explain SERVICE`` shows: each setting with its provenance, notes
    (base URL, where tokens are kept, sandbox) and the configuration problem a client built
    from it would raise, if any."""

    service: str
    settings: list[Setting]
    notes: list[str] = field(default_factory=list)
    problem: str | None = None

    def lines(self) -> list[str]:
        rows = [(s.name, s.shown(), s.source) for s in self.settings]
        out = []
        if rows:
            width = max(len(r[0]) for r in rows)
            vwidth = max(len(r[1]) for r in rows)
            out = [f"{n:<{width}}  {v:<{vwidth}}  {src}" for n, v, src in rows]
        if self.notes or self.problem:
            out.append("")
        out += self.notes
        if self.problem:
            out.append(f"problem: {self.problem}")
        return out


class Source:
    """One layer: ``lookup(name)`` → ``(value, provenance)`` or ``None``."""

    def lookup(self, name: str) -> tuple[str, str] | None:
        raise NotImplementedError


class MappingSource(Source):
    def __init__(self, values: Mapping[str, object], label: str = "argument") -> None:
        self._values = values
        self._label = label

    def lookup(self, name: str) -> tuple[str, str] | None:
        v = self._values.get(name)
        return None if v is None else (str(v), self._label)


class EnvSource(Source):
    def __init__(self, prefix: str, environ: Mapping[str, str] | None = None) -> None:
        self._prefix = prefix
        self._environ = os.environ if environ is None else environ

    def lookup(self, name: str) -> tuple[str, str] | None:
        var = self._prefix + name.upper()
        v = self._environ.get(var)
        return None if v is None else (v, f"environment variable {var}")


class IniSource(Source):
    """INI files merged key by key, later files overriding earlier ones (python-ovh order).

    ``section_for(name)`` picks the section a key is read from; it may depend on other
    settings (OVH reads ``endpoint`` from ``[default]`` and the keys from ``[<endpoint>]``).
    """

    def __init__(self, paths: Iterable[str], section_for: Callable[[str], str | None]) -> None:
        self._section_for = section_for
        self._files: list[tuple[str, configparser.RawConfigParser]] = []
        for path in paths:
            parser = configparser.RawConfigParser()
            try:
                with open(path, encoding="utf-8") as f:
                    parser.read_file(f, source=path)
            except FileNotFoundError:
                continue
            except IsADirectoryError:
                raise ConfigError(f"config file {path} is a directory; pass a file") from None
            except PermissionError:
                raise ConfigError(
                    f"config file {path} is not readable; fix its permissions"
                ) from None
            except UnicodeDecodeError:
                raise ConfigError(f"config file {path} is not UTF-8 text") from None
            except configparser.Error as e:
                first = str(e).splitlines()[0]
                raise ConfigError(
                    f"config file {path} is malformed ({first}); it must be INI: a [section] "
                    "line, then key=value lines"
                ) from None
            self._files.append((path, parser))

    @property
    def paths(self) -> list[str]:
        return [p for p, _ in self._files]

    def lookup(self, name: str) -> tuple[str, str] | None:
        section = self._section_for(name)
        if section is None:
            return None
        for path, parser in reversed(self._files):
            if parser.has_section(section) and parser.has_option(section, name):
                return parser.get(section, name), f"{path} [{section}]"
        return None


class Settings:
    def __init__(self, sources: Iterable[Source]) -> None:
        self._sources = list(sources)
        self._resolved: dict[str, Setting] = {}

    def resolve(self, name: str) -> Setting:
        s = self._resolved.get(name)
        if s is None:
            for source in self._sources:
                hit = source.lookup(name)
                if hit is not None:
                    s = Setting(name, hit[0], hit[1])
                    break
            else:
                s = Setting(name, None, "unset")
            self._resolved[name] = s
        return s

    def get(self, name: str) -> str | None:
        return self.resolve(name).value

    def override(self, name: str, value: str | None, source: str) -> None:
        self._resolved[name] = Setting(name, value, source)

    def explain(self) -> list[Setting]:
        return list(self._resolved.values())
