"""User merge rules: "never put these two together" / "always put these two together".

A pattern is a case-insensitive glob (``BBC One*``) matched against the whole name, or a
regular expression after ``re:`` (``re:^bbc ?1\\b``) searched in it. Both the provider's
original name and the parsed display name are tried, so a rule written against either works.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["MergeRule", "compile_pattern"]


def compile_pattern(pattern: str) -> re.Pattern[str]:
    if pattern.startswith("re:"):
        return re.compile(pattern[3:], re.IGNORECASE)
    return re.compile(fnmatch.translate(pattern.strip()), re.IGNORECASE)


@dataclass(frozen=True)
class MergeRule:
    kind: Literal["never", "always"]
    pattern_a: str
    pattern_b: str
    _a: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _b: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in ("never", "always"):
            raise ValueError(f"merge rule kind must be 'never' or 'always', not {self.kind!r}")
        # Compiled once here: rules are checked against every entry of every sync.
        object.__setattr__(self, "_a", compile_pattern(self.pattern_a))
        object.__setattr__(self, "_b", compile_pattern(self.pattern_b))

    def side(self, *names: str) -> int:
        """Which sides the names fall on: 0 none, 1 pattern_a, 2 pattern_b, 3 both.

        Two entries are "one on each side" exactly when both sides are non-zero and differ;
        that way a name matching both patterns (``HBO*`` and ``HBO 2*`` for "HBO 2") is still
        kept apart from a name matching only one, but not from another name like itself.
        """
        result = 0
        for name in names:
            if self._a.search(name) if self.pattern_a.startswith("re:") else self._a.match(name):
                result |= 1
            if self._b.search(name) if self.pattern_b.startswith("re:") else self._b.match(name):
                result |= 2
        return result

    def describe(self) -> str:
        return f"rule {self.kind}: {self.pattern_a!r} ~ {self.pattern_b!r}"
