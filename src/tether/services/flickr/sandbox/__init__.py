"""The Flickr API emulator: ``app.create_app()`` / ``app.credentials(root_url)`` for the sandbox
registry; ``state`` (seeded data), ``methods/`` (REST methods by API family), ``render``
(XML/JSON/PHP envelopes), ``signing`` (api_sig and OAuth checks), ``incoming`` / ``multipart``
(reading requests and streamed uploads), ``uploads``, ``login`` + ``pages`` (the human steps),
``control`` (the control API), ``host`` (settings, counters, the protocol login and control
see), ``remote`` (the control API driven from a test). Importing this package imports nothing
heavy."""
