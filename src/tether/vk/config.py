"""``tether.vk.config``: PyVK's ``pyvk.config`` names (the service's ``config`` module)."""

from tether.services.vk.config import *  # noqa: F403
from tether.services.vk.config import __all__ as __all__
