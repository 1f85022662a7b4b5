"""Importers for a user's own art: a folder of .txt files, JSONL, parquet, plain text.

Every importer returns all valid pieces or raises ``CorpusImportError`` with one
sentence naming the file; bad rows are skipped, counted, and the first few
described in ``ImportResult.problems``. Pieces are normalized: CRLF to LF, tabs
to spaces, trailing whitespace and trailing blank lines removed.

Folder layout: each subfolder is a label and each ``.txt`` file in it one piece;
a file may hold several pieces separated by a line that is exactly ``%%%``.
Files directly in the folder get no label.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from studio.errors import StudioError
from studio.fsutil import check_input_file, read_text_input, text_lines
from studio.limits import MAX_CORPUS_PIECE_CHARS, MAX_JSONL_LINE_CHARS
from studio.model.vocab import SPECIAL_TOKENS
from studio.train.corpus import Piece

PIECE_SEPARATOR = "%%%"
_MAX_PROBLEMS = 5


class CorpusImportError(StudioError):
    pass


@dataclass
class ImportResult:
    pieces: list[Piece]
    skipped: int = 0
    problems: list[str] = field(default_factory=list)

    def skip(self, problem: str) -> None:
        self.skipped += 1
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(problem)


def normalize_art(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(8).split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


def _finish(result: ImportResult, path: Path) -> ImportResult:
    if not result.pieces:
        raise CorpusImportError(f"{path}: holds no valid pieces ({result.skipped} skipped)")
    return result


def _framing_problem(art: str, label: str) -> str | None:
    """Pieces may not hold the framing tokens (SOL/SEP/EOA): they would corrupt the stream."""
    if any(c in art for c in SPECIAL_TOKENS):
        return "its art holds framing control characters (\\x02-\\x04)"
    if any(c in label for c in SPECIAL_TOKENS):
        return "its label holds framing control characters (\\x02-\\x04)"
    return None


def _add_piece(result: ImportResult, where: str, label: str, text: str, *, source: str = "", licence: str = "") -> None:
    if len(text) > MAX_CORPUS_PIECE_CHARS:
        result.skip(f"{where}: holds a piece of {len(text):,} chars, more than {MAX_CORPUS_PIECE_CHARS:,}")
        return
    art = normalize_art(text)
    if not art:
        result.skip(f"{where}: holds an empty piece")
        return
    problem = _framing_problem(art, label)
    if problem:
        result.skip(f"{where}: {problem}")
        return
    result.pieces.append(Piece(label, art, source=source, licence=licence))


def import_folder(path: str | Path) -> ImportResult:
    root = Path(path)
    if not root.is_dir():
        raise CorpusImportError(f"{root}: is not a folder")
    result = ImportResult([])
    try:
        files = sorted(root.rglob("*.txt"))
    except (OSError, RuntimeError) as exc:
        raise CorpusImportError(f"{root}: cannot be listed ({exc})") from None
    for file in files:
        label = file.parent.name if file.parent != root else ""
        try:
            text = read_text_input(file)
        except StudioError as exc:  # a folder named x.txt, a looping link, a FIFO, a huge file, not UTF-8
            result.skip(str(exc))
            continue
        except OSError as exc:
            result.skip(f"{file}: cannot be read ({exc.strerror or exc})")
            continue
        for chunk in _split_pieces(text):
            _add_piece(result, str(file), label, chunk)
    return _finish(result, root)


def _split_pieces(text: str) -> list[str]:
    pieces, current = [], []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.strip() == PIECE_SEPARATOR:
            pieces.append("\n".join(current))
            current = []
        else:
            current.append(line)
    pieces.append("\n".join(current))
    return pieces


def import_jsonl(path: str | Path, art_field: str = "art", label_field: str = "label") -> ImportResult:
    path = Path(path)
    result = ImportResult([])
    try:
        # streamed: a line longer than a piece can be is skipped unread, a NUL byte ends it
        for number, line in text_lines(path, MAX_JSONL_LINE_CHARS, what="JSONL file"):
            if line is None:
                result.skip(f"{path}:{number}: is a line of more than {MAX_JSONL_LINE_CHARS:,} chars")
                continue
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except (ValueError, RecursionError):  # bad JSON, a 5000-digit number, nesting 100,000 deep
                result.skip(f"{path}:{number}: is not valid JSON (or nests or numbers beyond reason)")
                continue
            if not isinstance(row, dict) or not isinstance(row.get(art_field), str):
                result.skip(f"{path}:{number}: has no text field {art_field!r}")
                continue
            label = row.get(label_field, "")
            if isinstance(label, list):
                label = label[0] if label else ""
            if label is None:
                label = ""
            if not isinstance(label, str):
                result.skip(f"{path}:{number}: its {label_field!r} is not text")
                continue
            # where the piece came from: the row's own record (``corpus build`` writes the
            # package and file, or the parquet row), else this file and line
            source, licence = row.get("source"), row.get("licence")
            _add_piece(
                result,
                f"{path}:{number}",
                label,
                row[art_field],
                source=source if isinstance(source, str) and source else f"{path.name}:{number}",
                licence=licence if isinstance(licence, str) else "",
            )
    except StudioError as exc:
        raise CorpusImportError(str(exc)) from None
    except OSError as exc:
        raise CorpusImportError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return _finish(result, path)


def import_parquet(
    path: str | Path,
    art_column: str = "content",
    label_column: str = "labels",
    *,
    label_of: Callable[[Any], str] | None = None,
    keep: Callable[[Any], bool] | None = None,
    licence: str = "",
    allow_empty: bool = False,
) -> ImportResult:
    """The pieces of one parquet file: ``art_column`` is the art, ``label_column`` the
    label (a list cell gives its first item). ``label_of`` reads a label cell another
    way (the apehex "Category,Subcategory" strings), ``keep`` picks rows by their label
    cell, ``licence`` is recorded on every piece."""
    path = Path(path)
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise CorpusImportError("Reading parquet needs pyarrow: pip install 'darwascii-studio[parquet]'.") from None
    from studio.train.parquet_rows import parquet_rows

    result = ImportResult([])
    seen_art = False
    try:
        # bounded: sizes are known before rows are decoded (a 1 KB file can unpack to gigabytes)
        for number, row in parquet_rows(path, [art_column, label_column], MAX_CORPUS_PIECE_CHARS):
            if row is None:
                result.skip(f"{path}: row {number} holds more than {MAX_CORPUS_PIECE_CHARS:,} chars")
                continue
            if art_column not in row:
                break
            seen_art = True
            art, cell = row[art_column], row.get(label_column)
            if keep is not None and not keep(cell):
                continue
            if label_of is not None:
                label = label_of(cell)
            else:
                label = (cell[0] if cell else "") if isinstance(cell, list) else cell
            if not isinstance(art, str) or not isinstance(label, (str, type(None))):
                result.skip(f"{path}: row {number} is not text")
                continue
            _add_piece(
                result, f"{path}: row {number}", label or "", art, source=f"{path.name}#{number}", licence=licence
            )
    except StudioError as exc:
        raise CorpusImportError(str(exc)) from None
    if not seen_art and not result.skipped:
        import pyarrow.parquet as pq

        names = pq.ParquetFile(path).schema_arrow.names
        if art_column not in names:
            raise CorpusImportError(f"{path}: has no column {art_column!r} (columns: {', '.join(names)})")
    return result if allow_empty else _finish(result, path)


def pieces_from_any(path: str | Path, **options) -> ImportResult:
    """Pick the importer by what ``path`` is: a folder, .jsonl or .parquet."""
    path = Path(path)
    if path.is_dir():
        return import_folder(path)
    try:
        check_input_file(path, "corpus file")
    except StudioError as exc:
        raise CorpusImportError(str(exc)) from None
    if path.suffix == ".jsonl":
        return import_jsonl(path, **options)
    if path.suffix == ".parquet":
        return import_parquet(path, **options)
    raise CorpusImportError(f"{path}: is not a folder, .jsonl or .parquet corpus")
