"""Loads a webtrail dataset folder the way its card says (load_dataset("<folder>")) and prints what came
back as one JSON line: row count, column types, scores and the first row. Used by webtrail's tests; handy
to check a copy after moving or uploading it.

    .venv/bin/python training/check_dataset.py path/to/dataset
    .venv/bin/python training/check_dataset.py path/to/dataset --without-card   # JSON files only, types inferred
"""
import json
import sys

from datasets import load_dataset


def main(folder: str, without_card: bool) -> None:
    # Without the card, `datasets` infers each file's types on its own: what a reader that ignores it sees.
    ds = load_dataset("json", data_files=f"{folder}/part-*.jsonl.gz", split="train") if without_card else load_dataset(folder, split="train")
    print(json.dumps({
        "rows": ds.num_rows,
        "features": {name: str(feature) for name, feature in ds.features.items()},
        "success": ds["success"],
        "run_id": ds["run_id"],
        "first": ds[0],
    }))


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or sys.argv[2:] not in ([], ["--without-card"]):
        sys.exit("usage: check_dataset.py <dataset folder> [--without-card]")
    main(sys.argv[1], sys.argv[2:] == ["--without-card"])
