"""Train the figure chooser: python -m bot.tools.train (collects labelled candidates, cross-validates, writes the model).

Every open labelled set is asked through the real engine; each candidate figure is marked right or wrong. Weights
are fitted by logistic regression; the L2 penalty and the not-found threshold are chosen out of fold (folds split by
document); the report gives out-of-fold and leave-one-set-out scores, never in-sample ones as results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from bot.features import FEATURES
from bot.model import Model, model_path, read, write
from bot.tools.dataset import Dataset, LabelledSet, collect, jsonl_set, squad_set
from bot.tools.fitting import Fit, fit, fit_threshold, out_of_fold, outcomes, per_set, rates, scores

ROOT = Path(__file__).resolve().parents[2]
L2_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)


def labelled_sets(bench: Path, real: Path, sample: Path, folder: Path) -> list[LabelledSet]:
    """Return the open labelled sets that exist here: the outside benchmarks and the project's own."""
    sets = []
    for name, squad in (("cmrc", bench / "cmrc2018_dev.json"), ("drcd", bench / "drcd_dev.json")):
        if squad.exists():
            sets.append(squad_set(name, squad, folder / name))
    if (bench / "real_qa.jsonl").exists() and real.is_dir():
        sets.append(jsonl_set("real", bench / "real_qa.jsonl", [real]))
    if (bench / "sample_qa.jsonl").exists() and sample.is_dir():
        sets.append(jsonl_set("sample", bench / "sample_qa.jsonl", [sample]))
    own = ROOT / "tests" / "qa"
    if (own / "sample.jsonl").exists():
        sets.append(jsonl_set("tests-sample", own / "sample.jsonl", [ROOT / "data" / "bulletins"]))
    if (own / "corpus.jsonl").exists():
        sets.append(jsonl_set("tests-corpus", own / "corpus.jsonl",
                              [ROOT / "data" / "bulletins", ROOT / "tests" / "data" / "bulletins"]))
    return sets


def dataset(sets: list[LabelledSet], cache: Path, refresh: bool) -> Dataset:
    """Collect (or read from the cache) every set's labelled candidates."""
    cache.mkdir(parents=True, exist_ok=True)
    parts = []
    for labelled in sets:
        path = cache / f"{labelled.name}.npz"
        if refresh or not path.exists():
            print(f"asking {labelled.name} ({len(labelled.questions)} questions) …", file=sys.stderr)
            path_part = collect(labelled)
            path_part.save(path)
        parts.append(Dataset.load(path))
    return Dataset.join(parts)


def report(data: Dataset, k: int) -> tuple[float, float, dict[str, Any]]:
    """Choose the penalty and threshold out of fold; return them and the out-of-fold and leave-one-set-out scores."""
    by_l2 = {l2: out_of_fold(data, k, l2=l2) for l2 in L2_GRID}
    l2 = max(L2_GRID, key=lambda c: (outcomes(data, by_l2[c], 0.0).sum(), -c))
    oof = by_l2[l2]
    threshold = fit_threshold(data, oof)
    names = list(dict.fromkeys(data.sets))
    held = np.array([names.index(s) for s in data.sets])
    loso = out_of_fold(data, k, l2=l2, held=held)
    trained = {
        "date": dt.date.today().isoformat(), "l2": l2, "folds": k, "questions": len(data.sets),
        "candidates": len(data.labels), "threshold": round(threshold, 6),
        "not_found": rates(data, oof, threshold),
        "out_of_fold": per_set(data, outcomes(data, oof, threshold)),
        "out_of_fold_without_threshold": per_set(data, outcomes(data, oof, 0.0)),
        "leave_one_set_out": per_set(data, outcomes(data, loso, threshold)),
    }
    return l2, threshold, trained


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.tools.train", description=__doc__.split("\n")[0])
    parser.add_argument("--bench", type=Path, default=ROOT.parent / "shared" / "bench",
                        help="folder of cmrc2018_dev.json, drcd_dev.json, real_qa.jsonl, sample_qa.jsonl")
    parser.add_argument("--real", type=Path, default=ROOT.parent / "shared" / "real-bulletins")
    parser.add_argument("--sample", type=Path, default=ROOT.parent / "shared" / "bulletins")
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache" / "train",
                        help="where the asked sets' candidates are kept between runs")
    parser.add_argument("--refresh", action="store_true", help="ask every set again (after a feature changes)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "figure_model.json")
    parser.add_argument("--dry-run", action="store_true", help="report, but do not write the model")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bulletin-sets-") as folder:
        sets = labelled_sets(args.bench, args.real, args.sample, Path(folder))
        if not sets:
            print("no labelled sets found (see --bench)", file=sys.stderr)
            return 2
        # candidates are gathered with no not-found threshold: the model being fitted decides that
        unlimited = Path(folder) / "unlimited.json"
        base = read(model_path())
        write(Model(base.weights, base.bias, 0.0, {}), unlimited)
        os.environ["BULLETIN_MODEL"] = str(unlimited)
        data = dataset(sets, args.cache, args.refresh)
    print(f"{len(data.sets)} questions, {len(data.labels)} candidates, "
          f"{int(data.labels.sum())} right; {len(FEATURES)} features")
    before = per_set(data, outcomes(data, scores(data, Fit(base.weights, base.bias)), base.threshold))
    l2, threshold, trained = report(data, args.folds)
    final = fit(data, np.arange(len(data.labels)), l2=l2)
    print(f"L2 {l2}; not-found below p = {threshold:.3f}: {trained['not_found']}")
    print(f"{'set':14s} {'questions':>9s} {'before fig@1/all':>17s} {'out-of-fold':>14s} {'leave-set-out':>14s}")
    oof, loso = trained["out_of_fold"], trained["leave_one_set_out"]
    for name, row in oof.items():
        print(f"{name:14s} {row['questions']:9d} {before[name]['fig@1']:7.1f}/{before[name]['all']:5.1f}    "
              f"{row['fig@1']:5.1f}/{row['all']:5.1f}    {loso[name]['fig@1']:5.1f}/{loso[name]['all']:5.1f}")
    print("weights:", ", ".join(f"{n} {w:+.2f}" for n, w in zip(FEATURES, final.weights, strict=True) if abs(w) >= 0.05))
    if not args.dry_run:
        write(Model(final.weights, final.bias, threshold, trained), args.out)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
