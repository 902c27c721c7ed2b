"""``workbench annotations``: the record of decisions, its export, agreement, CSV edits."""

from __future__ import annotations

import argparse
import csv
import json
from collections import defaultdict
from pathlib import Path

from ..glue.annotation import adjudicate, agreement, annotation_record, edit, sync_outside_edits
from .base import CommandResult, UsageError


def _read_edits(path: str, ids_by_path: dict[str, str]) -> dict[str, dict[str, object]]:
    """``{field: {sample id: value}}`` from a CSV with columns ``id`` or ``filepath``,
    ``field`` and ``value`` (tags: a JSON list or comma-separated)."""
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"--apply: no such file {path}")
    with file.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        columns = set(reader.fieldnames or ())
        if not {"field", "value"} <= columns or not columns & {"id", "filepath"}:
            raise UsageError(f"--apply {path}: expected columns id (or filepath), field, value; "
                             f"found {sorted(columns)}")
        out: dict[str, dict[str, object]] = defaultdict(dict)
        for n, row in enumerate(reader, start=2):
            sid = row.get("id") or ids_by_path.get(row.get("filepath") or "")
            if not sid:
                raise UsageError(f"--apply {path}, line {n}: no sample with id "
                                 f"{row.get('id')!r} or filepath {row.get('filepath')!r}")
            value: object = row["value"]
            if row["field"] == "tags":
                text = str(value).strip()
                value = json.loads(text) if text.startswith("[") else \
                    [t.strip() for t in text.split(",") if t.strip()]
            out[row["field"]][sid] = value
    return out


def _cmd_annotations(args: argparse.Namespace) -> CommandResult:
    from ..glue.fo import get_dataset

    ds = get_dataset(args.name)
    noticed = sync_outside_edits(ds)
    payload: dict = {"noticed_outside": len(noticed)}
    lines = [f"{len(noticed)} edits made outside the workbench were noticed and recorded"] \
        if len(noticed) else []
    if args.apply:
        paths = dict(zip(*ds.values(["filepath", "id"])))
        made = 0
        for field, values in _read_edits(args.apply, paths).items():
            fn = adjudicate if args.adjudicate else edit
            kwargs = {} if args.adjudicate else {"tool": "cli"}
            made += len(fn(ds, field, values, annotator=args.annotator, **kwargs))
        payload["applied"] = made
        lines.append(f"{made} edits applied from {args.apply}")
    record = annotation_record(ds, args.field)
    payload.update(edits=len(record), annotators=record.annotators(),
                   fields=sorted({e.field for e in record.edits}))
    lines.append(record.summary())
    if args.export:
        out = record.save(args.export)
        payload["export"] = str(out)
        lines.append(f"record written to {out}")
    if args.agreement:
        agr = agreement(ds, args.agreement, args.annotators)
        payload["agreement"] = agr.to_dict()
        lines.append(agr.summary())
    return CommandResult(payload, "\n".join(lines))


def register(sub) -> None:
    p = sub.add_parser("annotations",
                       help="the record of who changed what: export it, agreement, CSV edits")
    p.add_argument("name", help="dataset name")
    p.add_argument("--field", help="only the edits of this field")
    p.add_argument("--export", metavar="F",
                   help="write the record to F.csv or F.jsonl (one row per edit)")
    p.add_argument("--agreement", metavar="FIELD",
                   help="agreement between the annotators on FIELD (kappa or alpha), with the "
                        "disagreements to adjudicate")
    p.add_argument("--annotators", nargs="+", metavar="ID",
                   help="with --agreement: only these annotators")
    p.add_argument("--apply", metavar="F.csv",
                   help="edits to make, one per row: id (or filepath), field, value")
    p.add_argument("--annotator", metavar="ID",
                   help="who made the --apply edits (else $WORKBENCH_ANNOTATOR)")
    p.add_argument("--adjudicate", action="store_true",
                   help="record the --apply edits as adjudications")
    p.set_defaults(func=_cmd_annotations)
