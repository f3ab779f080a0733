"""Language names written after a channel's name: "DW English", "France 24 Espanol".

A language feed is another channel ("DW English" and "DW Russian" share a brand and often a
tvg-id), so the language stays in the match key; it is also reported on its own so the
matcher can keep feeds apart when other evidence (a shared tvg-id) would join them.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["canonical_language", "language_of"]

# Canonical English name -> the spellings providers use (normalised: casefolded, no accents).
_SPELLINGS = {
    "English": "english eng anglais ingles englisch",
    "Spanish": "spanish espanol castellano espagnol spanisch",
    "French": "french francais franca franzosisch",
    "German": "german deutsch aleman allemand",
    "Italian": "italian italiano",
    "Portuguese": "portuguese portugues",
    "Russian": "russian russkiy russkij русскии русский",
    "Ukrainian": "ukrainian українська",
    "Arabic": "arabic arabi arabe العربية عربي",
    "Turkish": "turkish turkce",
    "Persian": "persian farsi",
    "Hindi": "hindi",
    "Urdu": "urdu",
    "Bengali": "bengali bangla",
    "Tamil": "tamil",
    "Telugu": "telugu",
    "Malayalam": "malayalam",
    "Kannada": "kannada",
    "Marathi": "marathi",
    "Gujarati": "gujarati",
    "Punjabi": "punjabi",
    "Chinese": "chinese mandarin",
    "Cantonese": "cantonese",
    "Japanese": "japanese",
    "Korean": "korean",
    "Polish": "polish",
    "Dutch": "dutch nederlands",
    "Greek": "greek",
    "Hebrew": "hebrew",
    "Romanian": "romanian",
    "Hungarian": "hungarian magyar",
    "Czech": "czech",
    "Swedish": "swedish svenska",
    "Norwegian": "norwegian norsk",
    "Danish": "danish dansk",
    "Finnish": "finnish suomi",
    "Serbian": "serbian",
    "Croatian": "croatian",
    "Bulgarian": "bulgarian",
    "Albanian": "albanian shqip",
    "Kurdish": "kurdish kurdi",
    "Pashto": "pashto",
    "Indonesian": "indonesian",
    "Malay": "malay",
    "Thai": "thai",
    "Vietnamese": "vietnamese",
    "Filipino": "filipino tagalog",
    "Swahili": "swahili",
    "Amharic": "amharic",
    "Somali": "somali",
    "Armenian": "armenian",
    "Georgian": "georgian",
    "Azerbaijani": "azerbaijani azeri",
    "Kazakh": "kazakh",
    "Uzbek": "uzbek",
}
_LANGUAGES: dict[str, str] = {
    spelling: name for name, spellings in _SPELLINGS.items() for spelling in spellings.split()
}


def canonical_language(word: str) -> str | None:
    """ "espanol" -> "Spanish", "Deutsch" -> "German"; None when the word is no language."""
    return _LANGUAGES.get(word.casefold())


def language_of(tokens: Sequence[str]) -> str | None:
    """The language the last key token names ("dw english" -> "English"), if any.

    A name that is only a language word ("Arabic") names no language feed.
    """
    if len(tokens) < 2:
        return None
    return _LANGUAGES.get(tokens[-1])
