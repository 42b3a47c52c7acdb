"""Delimited text files read line by line, so a malformed row is reported as ``file:line``."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recloom.errors import DataError


@dataclass(frozen=True)
class Table:
    """Columns of strings read from ``path``; ``linenos[k]`` is the 1-based line of row k."""

    path: Path
    linenos: np.ndarray
    columns: list[list[str]]

    def __len__(self) -> int:
        return len(self.linenos)

    def ints(self, j: int, name: str) -> np.ndarray:
        """Column j as int64; ``DataError`` naming the first bad line."""
        return self._convert(j, name, np.int64, "an integer")

    def floats(self, j: int, name: str) -> np.ndarray:
        return self._convert(j, name, np.float32, "a number")

    def _convert(self, j: int, name: str, dtype: type, what: str) -> np.ndarray:
        col = self.columns[j]
        try:
            return np.asarray(col, dtype=str).astype(dtype) if col else np.zeros(0, dtype=dtype)
        except (ValueError, OverflowError):
            for k, value in enumerate(col):
                try:
                    dtype(value)
                except (ValueError, OverflowError):
                    raise DataError(f"field {name!r}: {value!r} is not {what}", path=self.path,
                                    line=int(self.linenos[k])) from None
            raise


def _read_text(path: Path, encoding: str) -> str:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise DataError("file not found", path=path) from None
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read: {exc}", path=path) from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(f"not valid {encoding}: {exc.reason}", path=path, line=line) from None


def _lines(path: Path, encoding: str) -> Iterator[tuple[int, str]]:
    for lineno, line in enumerate(_read_text(path, encoding).split("\n"), start=1):
        yield lineno, line.rstrip("\r")


def read_table(
    path: str | Path,
    sep: str,
    n_fields: int,
    encoding: str = "utf-8",
    header: bool = False,
) -> Table:
    """Read a ``sep``-separated file with exactly ``n_fields`` fields per non-blank line
    (``.gz`` files are decompressed). ``header=True`` skips the first line."""
    p = Path(path)
    linenos: list[int] = []
    columns: list[list[str]] = [[] for _ in range(n_fields)]
    for lineno, line in _lines(p, encoding):
        if (header and lineno == 1) or not line.strip():
            continue
        fields = line.split(sep)
        if len(fields) != n_fields:
            raise DataError(f"expected {n_fields} fields separated by {sep!r}, found {len(fields)}",
                            path=p, line=lineno)
        linenos.append(lineno)
        for j, value in enumerate(fields):
            columns[j].append(value)
    return Table(p, np.asarray(linenos, dtype=np.int64), columns)


def read_numeric(path: str | Path, sep: str, n_fields: int, encoding: str = "utf-8") -> np.ndarray:
    """A file of numbers only, as float64[N, n_fields] (exact for integers below 2**53).

    Fast path: numpy's C ``loadtxt``; on any problem the file is re-read line by line by
    :func:`read_table` so that the error names the offending line."""
    p = Path(path)
    text = _read_text(p, encoding)
    if "\t" not in sep:
        text = text.replace("\t", " \x00 ")  # a stray tab must not become a separator
    try:
        arr = np.loadtxt(io.StringIO(text.replace(sep, "\t")), delimiter="\t", dtype=np.float64, ndmin=2)
        if arr.shape[1] == n_fields or arr.size == 0:
            return arr.reshape(-1, n_fields)
    except ValueError:
        pass
    table = read_table(p, sep, n_fields, encoding)
    for j in range(n_fields):
        table.floats(j, f"column {j + 1}")
    raise DataError(f"could not parse as {n_fields} numeric columns", path=p)
