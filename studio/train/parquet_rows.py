"""Rows of a parquet corpus, read within bounds that hold however the file was written.

Parquet compresses pages and may encode a column as a dictionary plus run lengths,
so a 1 KB file can decode to gigabytes: a thousand rows that all point at one
1.6 MB dictionary string decoded to 5 GB in ``pyarrow.parquet.read_table(...)
.to_pylist()``. Here nothing is decoded until its size is known:

* the footer's counts (rows, values, uncompressed bytes of the columns read) are
  checked first;
* rows are read a batch at a time with the text columns kept as dictionaries, so a
  repeated string is held once; each row's length is computed from the dictionary
  without building the row, a row over ``max_chars`` is skipped (and counted), and
  the text kept so far may not pass ``fsutil.max_text_bytes()``.

``parquet_rows`` is the one way the importers read parquet (any new parquet importer
should use it too).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from studio.errors import StudioError
from studio.fsutil import check_input_file, max_text_bytes

# More rows than any corpus of art has (the largest public ones hold ~100,000 pieces).
MAX_ROWS = 10_000_000
_BATCH_ROWS = 1024


class ParquetLimitError(StudioError):
    pass


def parquet_rows(path: str | Path, columns: list[str], max_chars: int) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """``(row number, {column: value})`` for each row; ``(row number, None)`` for a row
    whose text is longer than ``max_chars`` (not decoded). Columns that are absent are
    left out of the dicts. Raises ParquetLimitError (one sentence) for a file past the
    bounds, StudioError for one pyarrow cannot read."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    path = Path(path)
    check_input_file(path, "parquet file")
    cap = max_text_bytes()
    try:
        reader = pq.ParquetFile(path)
        metadata = reader.metadata
        schema = reader.schema_arrow
    except Exception as exc:  # pyarrow raises many types for a bad file
        raise StudioError(f"{path}: is not a readable parquet file ({type(exc).__name__})") from None
    present = [c for c in columns if c in schema.names]
    if metadata.num_rows > MAX_ROWS:
        raise ParquetLimitError(f"{path}: says it holds {metadata.num_rows:,} rows, more than {MAX_ROWS:,}")
    declared = 0
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        for index in range(row_group.num_columns):
            chunk = row_group.column(index)
            if chunk.path_in_schema.split(".")[0] not in present:
                continue
            declared += max(0, chunk.total_uncompressed_size)
            if chunk.num_values > MAX_ROWS * 16:
                raise ParquetLimitError(
                    f"{path}: its column {chunk.path_in_schema} says it holds {chunk.num_values:,} values"
                )
    if declared > cap:
        raise ParquetLimitError(
            f"{path}: its columns unpack to {declared / (1 << 20):,.0f} MB, over the {cap / (1 << 20):,.0f} MB of text "
            "the studio reads from one file (set DARWASCII_MAX_TEXT_MB to raise it)"
        )
    text_columns = [
        c for c in present if pa.types.is_string(schema.field(c).type) or pa.types.is_large_string(schema.field(c).type)
    ]
    kept = 0
    number = 0
    try:
        reader = pq.ParquetFile(path, read_dictionary=text_columns)  # a repeated string is held once
        batches = reader.iter_batches(batch_size=_BATCH_ROWS, columns=present)
        for batch in batches:
            lengths = None
            for name in present:
                column = batch.column(name)
                if isinstance(column, pa.DictionaryArray):
                    sizes = pc.fill_null(pc.binary_length(column.dictionary), 0).take(pc.fill_null(column.indices, 0))
                elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                    sizes = pc.fill_null(pc.binary_length(column), 0)
                else:  # lists of labels and the like: measured by the buffers they hold
                    sizes = None
                    kept += column.nbytes
                if sizes is not None:
                    lengths = sizes if lengths is None else pc.add(lengths, sizes)
            too_long = [False] * batch.num_rows
            if lengths is not None:
                values = lengths.to_pylist()
                too_long = [v > max_chars * 4 for v in values]  # bytes: at most 4 a char
                kept += sum(v for v, skip in zip(values, too_long) if not skip)
            if kept > cap:
                raise ParquetLimitError(
                    f"{path}: decodes to more than {cap / (1 << 20):,.0f} MB of text, the most the studio reads from "
                    "one file (set DARWASCII_MAX_TEXT_MB to raise it)"
                )
            rows = {name: batch.column(name) for name in present}
            for i in range(batch.num_rows):
                number += 1
                if too_long[i]:
                    yield number, None
                    continue
                yield number, {name: column[i].as_py() for name, column in rows.items()}
    except StudioError:
        raise
    except Exception as exc:
        raise StudioError(
            f"{path}: is not a readable parquet file ({type(exc).__name__} at row {number + 1})"
        ) from None
