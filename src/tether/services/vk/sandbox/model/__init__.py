"""The VK emulator's data by API family: ``auth`` (application, accounts, tokens, scope bits),
``people`` (users, friends, followers), ``groups``, ``wall``, ``media`` (photos, albums,
documents). ``state`` assembles them; each family imports only ``auth`` and the families
listed before it, never ``state``: no import circle."""
