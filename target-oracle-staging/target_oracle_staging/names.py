"""The one name function for tables and columns: unquoted UPPER_SNAKE on every dialect."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

from target_oracle_staging.reserved_words import RESERVED_WORDS

MAX_IDENTIFIER_BYTES = 128
_HASH_LENGTH = 8

_NON_ALNUM = re.compile(r"[^0-9A-Za-z]+")
_ACRONYM_BEFORE_WORD = re.compile(r"([A-Z]+)([A-Z][a-z])")  # PCSRev -> PCS_Rev
_LOWER_BEFORE_UPPER = re.compile(r"([a-z0-9])([A-Z])")  # plantCode -> plant_Code
_UNDERSCORES = re.compile(r"_+")
# Letters NFKD does not decompose into ASCII (common in Nordic and German field names).
_TRANSLITERATE = str.maketrans(
    {
        "Æ": "Ae",
        "æ": "ae",
        "Ø": "O",
        "ø": "o",
        "ß": "ss",
        "Œ": "Oe",
        "œ": "oe",
        "Þ": "Th",
        "þ": "th",
        "Ð": "D",
        "ð": "d",
        "Ł": "L",
        "ł": "l",
    }
)


class NameClashError(ValueError):
    """Two source names convert to the same identifier."""


def _hash_suffix(original: str) -> str:
    return (
        hashlib.sha1(original.encode("utf-8"), usedforsecurity=False)
        .hexdigest()[:_HASH_LENGTH]
        .upper()
    )


def fit_length(identifier: str, original: str, max_bytes: int = MAX_IDENTIFIER_BYTES) -> str:
    """Cut an identifier to `max_bytes`, ending it with a hash of the original name."""
    if len(identifier.encode("utf-8")) <= max_bytes:
        return identifier
    keep = max_bytes - _HASH_LENGTH - 1
    return f"{identifier[:keep].rstrip('_')}_{_hash_suffix(original)}"


def to_identifier(name: str, max_bytes: int = MAX_IDENTIFIER_BYTES) -> str:
    """Convert a stream or property name to an unquoted UPPER_SNAKE identifier.

    `CommonLibPlantCode` -> COMMON_LIB_PLANT_CODE, `PCSRevDate` -> PCS_REV_DATE,
    `_sdc_extracted_at` -> SDC_EXTRACTED_AT. Reserved words get a trailing underscore
    (`Date` -> DATE_); names that do not start with a letter get an `N_` prefix.
    """
    ascii_name = (
        unicodedata.normalize("NFKD", name.translate(_TRANSLITERATE))
        .encode("ascii", "ignore")
        .decode("ascii")
    )
    snake = _NON_ALNUM.sub("_", ascii_name)
    snake = _ACRONYM_BEFORE_WORD.sub(r"\1_\2", snake)
    snake = _LOWER_BEFORE_UPPER.sub(r"\1_\2", snake)
    identifier = _UNDERSCORES.sub("_", snake).strip("_").upper()
    if not identifier:
        identifier = f"COL_{_hash_suffix(name)}"
    elif not identifier[0].isalpha():
        identifier = f"N_{identifier}"
    if identifier in RESERVED_WORDS:
        identifier = f"{identifier}_"
    return fit_length(identifier, name, max_bytes)


def derived_name(identifier: str, suffix: str, max_bytes: int = MAX_IDENTIFIER_BYTES) -> str:
    """A helper object's name (load table, swap table, constraint) no converted name can produce.

    Converted names never contain a double underscore, so `<NAME>__<SUFFIX>` cannot clash.
    """
    return fit_length(f"{identifier}__{suffix}", f"{identifier}__{suffix}", max_bytes)


def convert_names(
    names: Iterable[str], where: str, max_bytes: int = MAX_IDENTIFIER_BYTES
) -> dict[str, str]:
    """Map each source name to its identifier; two names that convert alike are an error."""
    converted: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name in names:
        identifier = to_identifier(name, max_bytes)
        if identifier in seen:
            msg = (
                f"{where}: properties {seen[identifier]!r} and {name!r} both convert to "
                f"column {identifier}; rename one of them in the tap or with a stream map"
            )
            raise NameClashError(msg)
        seen[identifier] = name
        converted[name] = identifier
    return converted
