"""The OVHcloud API emulator: ``app.create_app()`` / ``app.credentials(root_url)`` for the
sandbox registry; ``state`` (seeded data), ``dispatch`` (REST layer, auth), ``routes``
(endpoints), ``pages`` (validation page). Importing this package imports nothing heavy."""
