"""Training phrases from CSV files: a header row, a `text` column and an `intent` column
(also named `label` or `category`)."""

from __future__ import annotations

import csv
from pathlib import Path

LABELS = ("intent", "label", "category")


class TrainingDataError(ValueError):
    pass


def read_csv(path: str | Path) -> list[tuple[str, str]]:
    """[(text, intent)] of the file, empty texts skipped; TrainingDataError names what is
    wrong with the file."""
    try:
        handle = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115
    except OSError as exc:
        raise TrainingDataError(f"{path}: {exc.strerror}") from None
    with handle:
        reader = csv.DictReader(handle)
        columns = [c.strip().lower() for c in reader.fieldnames or []]
        label = next((c for c in LABELS if c in columns), None)
        if "text" not in columns or label is None:
            raise TrainingDataError(f"{path}: needs a header with a text column and an intent "
                                    f"(or label, category) column; found {columns}")  # fmt: skip
        rows = []
        for row in reader:
            row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
            if row["text"] and row[label]:
                rows.append((row["text"], row[label]))
    return rows
