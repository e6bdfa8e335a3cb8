"""The VK API emulator: ``app.create_app()`` / ``app.credentials(root_url)`` for the sandbox
registry; ``state`` + ``model/`` (seeded data by family), ``methods/`` (API methods by
family on the kit's RPC registry), ``incoming`` (reading a call), ``guards`` (rate buckets,
captcha, switches, daily quotas), ``host`` (settings, counters, the protocol ``control``
sees), ``control`` (the control API). Importing this package imports nothing heavy."""
