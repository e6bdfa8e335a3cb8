"""``Word``: a string enum whose ``str()`` and format are its value, for the states and reasons
the emulators print (``enum.StrEnum`` is Python 3.11+; the package supports 3.10)."""

from __future__ import annotations

from enum import Enum


class Word(str, Enum):
    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)
