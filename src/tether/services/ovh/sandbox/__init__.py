"""The OVHcloud API emulator: ``app.create_app()`` / ``app.credentials(root_url)`` for the
sandbox registry; ``state`` (seeded data), ``models`` (its objects), ``dispatch`` (REST layer,
auth), ``routes/`` (endpoints as data, handlers by API family), ``pages`` (validation page),
``remote`` (the control API driven from a test). Importing this package imports nothing
heavy."""
