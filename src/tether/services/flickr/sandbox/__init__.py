"""The Flickr API emulator: ``app.create_app()`` / ``app.credentials(root_url)`` for the sandbox
registry; ``state`` (seeded data), ``methods`` (REST methods), ``render`` (XML/JSON/PHP
envelopes), ``signing`` (api_sig and OAuth checks), ``incoming`` / ``multipart`` (reading
requests and streamed uploads), ``uploads``, ``login`` + ``pages`` (the human steps),
``control`` (the control API). Importing this package imports nothing heavy."""
