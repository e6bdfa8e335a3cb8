"""``tether.vk.helpers``: PyVK's ``pyvk.helpers`` names (the service's ``helpers`` module)."""

from tether.services.vk.helpers import *  # noqa: F403
from tether.services.vk.helpers import __all__ as __all__
