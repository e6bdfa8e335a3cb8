"""PyVK's configuration classes (``tether.vk.config``): options as class attributes holding
the documented defaults (vk.md §6.1), an instance holding one object's choices.

``APIConfig(**options)`` takes the options it knows and leaves the rest to ``unknown()``;
the facade decides what to say about those.

Unknown options: PyVK ignores them silently, so a typo (``max_atempts=10``) is lost without a
word and the script runs with the default. Raising would break code PyVK accepts, including
the seed's own example (``API(token=..., scope=p_docs, ...)``: ``scope`` is no API option).
So tether ignores options of *any* PyVK configuration (they are PyVK's own names, harmless,
and ``auth.api(**options)`` passes an auth object's options along), and warns
(``UserWarning``, with the closest known name) for a name no configuration knows.

Invariants:
- Defaults are PyVK's, except ``version`` (``spec.DEFAULT_VERSION``: PyVK's '5.60' is refused
  by real VK) and the options tether adds, which default to "as PyVK behaves".
- An instance is read-only once built (as PyVK's), so a client's settings cannot drift.
- The logging options configure only tether's own ``tether.vk`` logger, and only when given:
  PyVK calls ``logging.basicConfig``, a process-wide side effect tether never has. Without
  them the application configures logging as usual; with ``log_file`` (or ``log_level`` /
  ``log_format``) given, ``tether.vk`` lines (already free of secrets) go to that file (or
  standard error) at that level, through one handler per destination and format
  (``log_to``), however many clients name it.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from tether.core.errors import UsageError
from tether.services.vk.inputs import Input
from tether.services.vk.spec import DEFAULT_VERSION, p_basic, p_offline

__all__ = [
    "APIConfig",
    "ClientAuthConfig",
    "GlobalConfig",
    "ServerAuthConfig",
    "known_options",
    "log_to",
]

_LOG_OPTIONS = ("log_file", "log_level", "log_format")
#: (file or "", format) -> the handler on ``tether.vk``: one per destination, so that clients
#: made again and again with the same options do not write each line many times.
_HANDLERS: dict[tuple[str, str], logging.Handler] = {}


class _Config:
    """Options as class attributes; ``Config(**options)`` an immutable choice of them."""

    _frozen: ClassVar[bool] = False

    def __init__(self, **options: Any) -> None:
        names = self.options()
        self._unknown = {k: v for k, v in options.items() if k not in names}
        for k, v in options.items():
            if k in names:
                object.__setattr__(self, k, v)
        object.__setattr__(self, "_frozen", True)

    @classmethod
    def options(cls) -> frozenset[str]:
        """Every option this configuration knows."""
        return frozenset(
            name
            for klass in cls.__mro__
            for name in vars(klass).get("__annotations__", {})
            if not name.startswith("_")
        )

    def unknown(self) -> dict[str, Any]:
        """The options given that this configuration does not know."""
        return dict(self._unknown)

    def __setattr__(self, name: str, value: Any) -> None:
        if self._frozen:
            raise AttributeError(f"{type(self).__name__} is read-only once built")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        shown = {n: getattr(self, n) for n in sorted(self.options()) if n != "input"}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"


class GlobalConfig(_Config):
    """Options of every PyVK object."""

    #: Given explicitly, these three send ``tether.vk``'s lines to ``log_file`` (standard
    #: error without one) at ``log_level`` (see the module docstring).
    log_format: str = "%(asctime)s %(name)s %(levelname)s: %(message)s"
    log_level: int = logging.INFO
    log_file: str | None = None
    #: Asks the user things (captcha, password, 2FA code): anything with ``ask(field, **kw)``.
    input: Any = Input
    #: Seconds to wait for VK (connect and each read).
    timeout: float = 6.05
    #: The API version sent as ``v``.
    version: str = DEFAULT_VERSION


class ClientAuthConfig(GlobalConfig):
    """Options of ``ClientAuth``."""

    app_id: int | None = None
    username: str | None = None
    scope: int = p_basic
    disable_cache: bool = False


class ServerAuthConfig(GlobalConfig):
    """Options of ``ServerAuth``."""

    app_id: int | None = None
    redirect_uri: str | None = None
    scope: int = p_offline
    display: str = "page"
    state: str | None = None


class APIConfig(GlobalConfig):
    """Options of ``API`` (and ``AsyncAPI``)."""

    #: Language of the data VK answers (``ru``, ``uk``, ``be``, ``en``, ``es``, ``fi``, ``de``,
    #: ``it``).
    lang: str = "en"
    #: Answer captcha requests (error 14) through ``input`` and send again.
    validation: bool = True
    #: Wait and send again on errors 6 and 9 (and 1 and 10 for reads).
    auto_delay: bool = True
    #: Sends per call at most, recoveries included.
    max_attempts: int = 5
    #: Return the whole decoded JSON, with no error handling at all.
    raw: bool = False
    #: Type of decoded JSON objects (``json``'s ``object_hook`` is ``response_type(pairs)``).
    response_type: Any = dict
    #: tether: requests per second this token sends at most (``None``: 3/s, VK's limit for a
    #: user token; 20/s for the sandbox's community token; ``0``: no pacing).
    rate_limit: float | None = None
    #: tether: where the methods are (``https://api.vk.com/method/``).
    api_url: str | None = None


def known_options() -> frozenset[str]:
    """Every option any PyVK configuration knows."""
    return APIConfig.options() | ClientAuthConfig.options() | ServerAuthConfig.options()


def log_to(options: Any, config: GlobalConfig) -> None:
    """PyVK's logging options, if ``options`` gave any: ``tether.vk`` logs at
    ``config.log_level`` to ``config.log_file`` (standard error without one) in
    ``config.log_format``. The file is opened at once and appended to.

    Raises:
        UsageError: the file cannot be opened for writing.
    """
    if not any(name in options for name in _LOG_OPTIONS):
        return
    key = (config.log_file or "", config.log_format)
    handler = _HANDLERS.get(key)
    if handler is None:
        if config.log_file:
            try:
                handler = logging.FileHandler(config.log_file, encoding="utf-8")
            except OSError as e:
                raise UsageError(
                    f"log_file {config.log_file!r} cannot be opened for writing ({e.strerror}); "
                    "give a path in a folder that exists and that you can write to"
                ) from None
        else:
            handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(config.log_format))
        logging.getLogger("tether.vk").addHandler(handler)
        _HANDLERS[key] = handler
    handler.setLevel(config.log_level)
    logger = logging.getLogger("tether.vk")
    if logger.level == logging.NOTSET or logger.level > config.log_level:
        logger.setLevel(config.log_level)
