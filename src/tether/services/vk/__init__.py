"""VK (vk.com): PyVK's API on tether's core. Public names: ``tether.vk``."""
