"""The Flickr emulator's objects and seed, by API family (as ``methods/`` is split): ``auth``
(applications, tokens, frobs, request tokens, permissions and the fixed sandbox keys),
``people`` (users and contacts), ``photos`` (photos, sets, tags, dates and the seeded
5,200 photos), ``uploads`` (tickets). ``state.FlickrState`` holds them and re-exports every
name, where callers have always found them.

Invariants:
- Imports go one way: ``auth`` <- ``people`` <- ``photos``; ``uploads`` stands alone; nothing
  here imports ``state``. Importing this package imports none of them.
- Nothing here does I/O, reads the clock or knows about HTTP: callers pass ``now`` (Unix
  seconds of the emulated clock) where time matters.
- The seed is pure: the same values on every call and in every process; randomness comes
  from ``random.Random`` objects seeded with constants.
- The fixed sandbox secrets are in ``auth`` only; ``app.credentials`` is the one place that
  hands them out.
"""
