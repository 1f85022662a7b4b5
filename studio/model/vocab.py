"""Vocabulary, special tokens and framings: the one place that knows them.

The card's artists are char-level with a vocabulary of ~106-109 characters that
includes three control characters:

    SOL = "\\x02"  start of a piece
    SEP = "\\x03"  ends the label in conditional framing
    EOA = "\\x04"  end of art

Framings:
    conditional    <SOL> label <SEP> art <EOA>   (prime with SOL + label + SEP)
    unconditional  <SOL> art <EOA>               (prime with SOL)
    text           raw text, no framing          (byte-level enwik8-style models)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

SOL = "\x02"
SEP = "\x03"
EOA = "\x04"
SPECIAL_TOKENS = (SOL, SEP, EOA)

CONDITIONAL = "conditional"
UNCONDITIONAL = "unconditional"
TEXT = "text"
FRAMINGS = (CONDITIONAL, UNCONDITIONAL, TEXT)

# Pieces without a label form their own class (label ""); people see and type it as this.
UNLABELLED = "(unlabelled)"


def class_name(label: str) -> str:
    """A class as people read and type it (``--classes``): the unlabelled class by name."""
    return label or UNLABELLED


def class_from_name(name: str) -> str:
    """The inverse of ``class_name``: the label a typed class stands for."""
    return "" if name == UNLABELLED else name


def frame_piece(art: str, label: str | None, framing: str) -> str:
    """The training form of one piece under ``framing``."""
    if framing == CONDITIONAL:
        return f"{SOL}{label or ''}{SEP}{art}{EOA}"
    if framing == UNCONDITIONAL:
        return f"{SOL}{art}{EOA}"
    return art


def prompt_for(label: str | None, framing: str) -> str:
    """The prefix that primes a model to draw (a label under conditional framing)."""
    if framing == CONDITIONAL:
        return f"{SOL}{label or ''}{SEP}"
    if framing == UNCONDITIONAL:
        return SOL
    return label or ""


@dataclass(frozen=True)
class Vocab:
    """An ordered character vocabulary; ``chars[i]`` is token ``i``.

    ``byte_level`` vocabularies have 256 tokens, one per byte value, and encode text
    as UTF-8 bytes (the enwik8 text models carry no stoi/itos at all).
    """

    chars: tuple[str, ...]
    byte_level: bool = False

    @classmethod
    def from_chars(cls, chars: Iterable[str]) -> "Vocab":
        return cls(tuple(chars))

    @classmethod
    def bytes256(cls) -> "Vocab":
        return cls(tuple(chr(i) for i in range(256)), byte_level=True)

    @classmethod
    def from_itos(cls, itos: Mapping[int, str] | Sequence[str]) -> "Vocab":
        """Read ``itos`` stored as a list or as a dict ``{index: char}``."""
        if isinstance(itos, Mapping):
            keys = sorted(int(k) for k in itos)
            if keys != list(range(len(keys))):
                raise ValueError("itos indices are not 0..n-1")
            table = {int(k): v for k, v in itos.items()}
            chars = tuple(table[i] for i in range(len(keys)))
        else:
            chars = tuple(itos)
        if not all(isinstance(c, str) for c in chars):
            raise ValueError("itos holds entries that are not strings")
        # One char per token: the vocabulary is char-level (encode looks chars up one by
        # one), and a long entry would make every decode of that token as long.
        for i, c in enumerate(chars):
            if len(c) != 1:
                raise ValueError(f"itos entry {i} is {len(c):,} chars long, not one char")
        for c in chars:
            try:
                c.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError(f"itos holds {ascii(c)}, which is not valid Unicode text") from None
        if len(set(chars)) != len(chars):
            raise ValueError("itos holds a character twice")
        return cls(chars)

    @classmethod
    def for_corpus(cls, texts: Iterable[str]) -> "Vocab":
        """A sorted vocabulary of every char in ``texts`` plus the special tokens."""
        seen = set(SPECIAL_TOKENS)
        for text in texts:
            seen.update(text)
        return cls(tuple(sorted(seen)))

    def __len__(self) -> int:
        return len(self.chars)

    @property
    def stoi(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.chars)}

    @property
    def itos(self) -> dict[int, str]:
        return dict(enumerate(self.chars))

    def unknown_chars(self, text: str) -> list[str]:
        """Characters of ``text`` the vocabulary cannot encode, in order of appearance."""
        if self.byte_level:
            return []
        known = self._index
        return list(dict.fromkeys(c for c in text if c not in known))

    def encode(self, text: str) -> list[int]:
        if self.byte_level:
            return list(text.encode("utf-8"))
        index = self._index
        try:
            return [index[c] for c in text]
        except KeyError as exc:
            raise ValueError(f"character {exc.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids: Iterable[int]) -> str:
        if self.byte_level:
            return bytes(int(i) for i in ids).decode("utf-8", errors="replace")
        return "".join(self.chars[int(i)] for i in ids)

    @property
    def _index(self) -> dict[str, int]:
        # cached on first use; frozen dataclass, so set through object.__setattr__
        try:
            return self.__dict__["_index_cache"]
        except KeyError:
            table = {c: i for i, c in enumerate(self.chars)}
            object.__setattr__(self, "_index_cache", table)
            return table

    def token_id(self, char: str) -> int | None:
        if self.byte_level:
            code = ord(char)
            return code if code < 256 else None
        return self._index.get(char)


def describe_char(char: str) -> str:
    """A readable name for a character in messages (control chars by name)."""
    names = {SOL: "SOL", SEP: "SEP", EOA: "EOA", "\n": "newline", " ": "space", "\t": "tab"}
    return names.get(char, repr(char))
