"""Loads a webtrail dataset folder the way its card says (load_dataset("<folder>")) and prints what came
back as one JSON line: row count, column types, scores and the first row. Used by webtrail's tests; handy
to check a copy after moving or uploading it.

    .venv/bin/python training/check_dataset.py path/to/dataset
    .venv/bin/python training/check_dataset.py path/to/dataset --without-card   # JSON files only, types inferred
"""
import json
import sys

from datasets import Value, load_dataset


def describe(feature):
    """A column's type the same way in every `datasets` version: a dtype, {field: type}, or [item type]."""
    if isinstance(feature, Value):
        return feature.dtype
    if isinstance(feature, dict):
        return {name: describe(inner) for name, inner in feature.items()}
    if isinstance(feature, list):
        return [describe(feature[0])]
    inner = getattr(feature, "feature", None)  # Sequence (3.x), List / LargeList (4.x and later)
    return [describe(inner)] if inner is not None else str(feature)


def main(folder: str, without_card: bool) -> None:
    # Without the card, `datasets` infers each file's types on its own: what a reader that ignores it sees.
    ds = load_dataset("json", data_files=f"{folder}/part-*.jsonl.gz", split="train") if without_card else load_dataset(folder, split="train")
    print(json.dumps({
        "rows": ds.num_rows,
        "features": {name: describe(feature) for name, feature in ds.features.items()},
        "success": list(ds["success"]),
        "run_id": list(ds["run_id"]),
        "first": ds[0],
    }))


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or sys.argv[2:] not in ([], ["--without-card"]):
        sys.exit("usage: check_dataset.py <dataset folder> [--without-card]")
    main(sys.argv[1], sys.argv[2:] == ["--without-card"])
