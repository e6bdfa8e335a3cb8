"""The emulator kit: the pieces every service's emulator is built from.

Invariants:
- Pure where it can be: nothing here reads the clock (``now`` is passed in, or comes from an
  emulator's own ``now()``), opens a socket or keeps module-level state.
- Importing a kit module imports no service: services depend on the kit, never the reverse.
"""
