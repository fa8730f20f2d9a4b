"""Strict reading of a resource's inputs: a provisioner takes each input it applies, and any input it
did not take is an error naming it, so nothing the program declares is silently ignored."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

_MISSING = object()


class DeployError(RuntimeError):
    """The program declared something the replay deployer cannot apply, or applying it failed."""


class UnsupportedInput(DeployError):
    """An input of a resource that the replay deployer does not apply."""


class Inputs:
    """A resource's inputs (wire names, camelCase) that remembers which ones were read."""

    def __init__(self, values: Mapping[str, Any], where: str, path: str = "", _root: Inputs | None = None) -> None:
        self._values = dict(values)
        self._taken: set[str] = set()
        self.where = where
        self.path = path
        self._root = _root or self
        self._children: list[Inputs] = []
        if _root is not None:
            _root._children.append(self)

    def take(self, key: str, default: Any = _MISSING) -> Any:
        """The value of `key` (ints arrive from Pulumi as floats and are given back as ints)."""
        self._taken.add(key)
        value = self._values.get(key)
        if value is None:
            if default is _MISSING:
                raise DeployError(f"{self.where}: input '{self._name(key)}' is required")
            return default
        return _plain(value)

    def ignore(self, key: str, value: Any) -> None:
        """Accept `key` only when it has the one value the deployer implements (e.g. a default)."""
        self._taken.add(key)
        actual = self._values.get(key)
        if actual is not None and _plain(actual) != value:
            raise UnsupportedInput(
                f"{self.where}: input '{self._name(key)}' = {_plain(actual)!r} is not applied by the replay deployer "
                f"(only {value!r} is)"
            )

    def sub(self, key: str) -> Inputs | None:
        """The nested object under `key`, itself read strictly; None when absent."""
        self._taken.add(key)
        value = self._values.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise DeployError(f"{self.where}: input '{self._name(key)}' should be an object, not {value!r}")
        return Inputs(value, self.where, self._name(key), self._root)

    def each(self, key: str) -> Iterator[Inputs]:
        """The objects of the list under `key`, each read strictly."""
        self._taken.add(key)
        for index, value in enumerate(self._values.get(key) or []):
            if not isinstance(value, Mapping):
                raise DeployError(f"{self.where}: {self._name(key)}[{index}] should be an object, not {value!r}")
            yield Inputs(value, self.where, f"{self._name(key)}[{index}]", self._root)

    def check_all_taken(self) -> None:
        """Raise UnsupportedInput naming every input, here or nested, that nobody read."""
        unread = []
        for inputs in (self, *self._children):
            unread += [
                f"'{inputs._name(key)}'"
                for key, value in inputs._values.items()
                if key not in inputs._taken and value is not None and not key.startswith("__")
            ]
        if unread:
            raise UnsupportedInput(
                f"{self.where}: the replay deployer does not apply input(s) {', '.join(unread)}; "
                "remove them or teach harness/deploy/provisioners to apply them"
            )

    def _name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
