"""``tether.vk.helpers``: PyVK's ``pyvk.helpers`` names (the service's ``helpers`` module:
``reqn``) and, as in PyVK, the ``uploaders`` submodule (``tether.vk.helpers.uploaders``)."""

from tether.services.vk.helpers import *  # noqa: F403
from tether.services.vk.helpers import __all__ as __all__
