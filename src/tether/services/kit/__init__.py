"""The facade kit: what every service facade is built from.

- ``client``: the client core (retry policy, 429 gate, transport options, runtime, the
  sandbox redirect) and the sync/async twins (``SyncFacade``, ``AsyncFacade``);
- ``rpc``: for method-call APIs (Flickr, VK, Ipernity): the method proxy, argument encoding,
  cache access off the event loop, status polls;
- ``pacing``: ``SharedBucket``, a client's own rate limit, safe across its threads;
- ``rest``: for resource APIs (OVHcloud, Vimeo): the status-to-error table, the
  ``requests``-like answer view, query strings.

What is a read (for retries and caching alike) is ``tether.core.cache.ReadRule``, declared
per service in its ``spec.py``. ``docs/adding-a-service.md`` walks through a new service.
"""
