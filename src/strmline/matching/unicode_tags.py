"""Styled letters providers decorate names with, folded to plain ASCII before parsing.

Providers write quality and country tags in every corner of Unicode: raised tags ("ESPNᴴᴰ",
"BBC ONE WALES ˢᴰ"), small capitals ("ʜᴅ"), full-width forms ("ＨＤ"), circled and squared
letters ("Ⓗⓓ", "🅷🅳", "🆄🅷🅳"), mathematical alphanumerics ("𝐇𝐃") and flags ("🇬🇧").
NFKC folds most of them; ``_TABLE`` holds what NFKC leaves (small capitals, modifier small
capitals, negative circled/squared letters, squared quality words) or folds badly
(parenthesized letters become "(a)").

Raised and enclosed runs are tags glued to the name ("ESPNᴴᴰ"), so they become separate words;
small capitals, full-width and mathematical letters style whole words ("Sᴘᴏʀᴛs") and are folded
in place. A pair of regional-indicator letters (a flag) becomes a bracketed country code
("🇬🇧 BBC One" -> "[GB] BBC One"), which the name parser reads as the country.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

__all__ = ["fold_styled"]


def _letters(first: int, letters: Sequence[str]) -> dict[int, str]:
    return {first + i: ch for i, ch in enumerate(letters)}


_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# Code point -> plain text, for characters NFKC leaves alone or turns into something else.
_TABLE: dict[int, str] = {
    # Latin letter small capitals (IPA block, phonetic extensions, Latin Extended-D).
    0x1D00: "A",
    0x0299: "B",
    0x1D04: "C",
    0x1D05: "D",
    0x1D07: "E",
    0xA730: "F",
    0x0262: "G",
    0x029C: "H",
    0x026A: "I",
    0xA7AE: "I",
    0x1D0A: "J",
    0x1D0B: "K",
    0x029F: "L",
    0x1D0D: "M",
    0x0274: "N",
    0x1D0F: "O",
    0x1D18: "P",
    0xA7AF: "Q",
    0x0280: "R",
    0xA731: "S",
    0x1D1B: "T",
    0x1D1C: "U",
    0x1D20: "V",
    0x1D21: "W",
    0x028F: "Y",
    0x1D22: "Z",
    # Modifier (raised) small capitals.
    0x1DA6: "I",
    0x1DAB: "L",
    0x1DB0: "N",
    0x1DB8: "U",
    0x10784: "B",
    0x10792: "G",
    0x10796: "H",
    0x107AA: "R",
    0x107B2: "Y",
    # Squared quality and format words (Enclosed Alphanumeric Supplement).
    0x1F14C: "SD",
    0x1F19D: "2K",
    0x1F19E: "4K",
    0x1F19F: "8K",
    0x1F1A3: "60fps",
    0x1F1A4: "120fps",
    0x1F1A7: "HDR",
    0x1F1AB: "UHD",
}
_TABLE.update(_letters(0x1F150, _ALPHABET))  # negative circled 🅐..🅩
_TABLE.update(_letters(0x1F170, _ALPHABET))  # negative squared 🅰..🆉
_TABLE.update(_letters(0x249C, _ALPHABET.lower()))  # parenthesized ⒜..⒵ (NFKC: "(a)")
_TABLE.update(_letters(0x24EB, [str(n) for n in range(11, 21)]))  # negative circled ⓫..⓴
_TABLE.update(_letters(0x24F5, [str(n) for n in range(1, 11)]))  # double circled ⓵..⓾
_TABLE[0x24FF] = "0"  # ⓿
for _first in (0x2776, 0x2780, 0x278A):  # dingbat circled digits ❶..❿, ➀..➉, ➊..➓
    _TABLE.update(_letters(_first, [str(n) for n in range(1, 11)]))

_TRANSLATE = dict(_TABLE)

# Raised letters and digits (superscripts, subscripts, modifier letters) and enclosed ones
# (circled, parenthesized, squared): tags, split from whatever they are glued to.
_TAG_CLASS = (
    "\u00b2\u00b3\u00b9"
    "\u02b0-\u02b8\u02e0-\u02e4"
    "\u1d2c-\u1d6a\u1d78\u1d9b-\u1dbf"
    "\u2070-\u209f"
    "\u2460-\u24ff\u2776-\u2793"
    "\U00010780-\U000107ba"
    "\U0001f100-\U0001f1e5"
)
_TAG_RUN_RE = re.compile(f"[{_TAG_CLASS}]+(?:\\s[{_TAG_CLASS}]+)*")
_FLAG_RE = re.compile("([\U0001f1e6-\U0001f1ff])([\U0001f1e6-\U0001f1ff])")
# Anything worth folding: the tag classes above plus small capitals, full-width forms and
# mathematical alphanumerics. Plain accented Latin, Cyrillic, CJK... do not match.
_STYLED_RE = re.compile(
    f"[{_TAG_CLASS}\u0262\u026a\u0274\u0280\u028f\u0299\u029c\u029f"
    "\u1d00-\u1d2b\ua730\ua731\ua7ae\ua7af\uff01-\uff5e"
    "\U0001d400-\U0001d7ff\U0001f1e6-\U0001f1ff]"
)


def _flag(m: re.Match[str]) -> str:
    a, b = (chr(ord(c) - 0x1F1E6 + ord("A")) for c in m.groups())
    return f" [{a}{b}] "


def _tag(m: re.Match[str]) -> str:
    return f" {unicodedata.normalize('NFKC', m.group(0).translate(_TRANSLATE))} "


def fold_styled(text: str) -> str:
    """Plain letters for styled ones; raised/enclosed tags become separate words.

    "ESPNᴴᴰ" -> "ESPN HD ", "BBC ONE WALES ˢᴰ" -> "BBC ONE WALES sD ", "ʜᴅ" -> "HD",
    "🅷🅳" -> " HD ", "🇺🇸 ESPN" -> " [US] ESPN". The result is NFKC-normalised. Text with
    nothing styled comes back NFKC-normalised and otherwise unchanged.
    """
    if _STYLED_RE.search(text) is not None:
        if max(text) >= "\U0001f1e6":
            text = _FLAG_RE.sub(_flag, text)
        text = _TAG_RUN_RE.sub(_tag, text)
        text = text.translate(_TRANSLATE)
    return unicodedata.normalize("NFKC", text)
