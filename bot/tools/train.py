"""Train the figure chooser: python -m bot.tools.train (collects labelled candidates, cross-validates, writes the model).

Every open labelled set is asked through the real engine; each candidate figure is marked right or wrong. Weights
are fitted by logistic regression; the L2 penalty and the not-found threshold are chosen out of fold (folds split by
document); the report gives out-of-fold and leave-one-set-out scores, each question answered by the whole engine under a model
that never saw it, never in-sample ones as results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from bot.answering.features import FEATURES
from bot.answering.model import Model, ModelError, model_path, read, write
from bot.tools.dataset import Dataset, LabelledSet, collect, group_of, jsonl_set, judged, squad_set
from bot.tools.fitting import fit, fit_threshold, folds, out_of_fold, outcomes, rates

ROOT = Path(__file__).resolve().parents[2]
L2_GRID = (3.0, 10.0, 30.0, 100.0, 300.0)


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


def choose(data: Dataset, k: int) -> tuple[float, float, dict[str, Any]]:
    """Choose the penalty and the not-found threshold out of fold (each question's best candidate scored by a model
    fitted without its fold); return them with the threshold's precision and recall."""
    by_l2 = {l2: out_of_fold(data, k, l2=l2) for l2 in L2_GRID}
    l2 = max(L2_GRID, key=lambda c: (outcomes(data, by_l2[c], 0.0).sum(), -c))
    threshold = fit_threshold(data, by_l2[l2])
    return l2, threshold, rates(data, by_l2[l2], threshold)


def held_out(sets: list[LabelledSet], data: Dataset, k: int, l2: float, threshold: float, folder: Path,
             failures: list[str], show: int = 0) -> dict[str, dict[str, dict[str, float]]]:
    """Score every set through the whole engine with models that never saw its questions: out of fold (folds by
    document) and with the whole set left out. Returns {"out_of_fold": {set: scores}, "leave_one_set_out": …};
    adds up to show out-of-fold failures to failures."""
    question_fold = folds(data, k)[data.question]
    files: dict[str, Path] = {}
    for name, rows in [*((f"fold{f}", np.flatnonzero(question_fold != f)) for f in range(k)),
                       *((f"without-{s.name}", np.flatnonzero(np.array(data.sets)[data.question] != s.name))
                         for s in sets)]:
        weights = fit(data, rows, l2=l2)
        files[name] = folder / f"{name}.json"
        write(Model(weights.weights, weights.bias, threshold, {}), files[name])
    out: dict[str, dict[str, dict[str, float]]] = {"out_of_fold": {}, "leave_one_set_out": {}}
    for labelled in sets:
        print(f"judging {labelled.name} …", file=sys.stderr)
        def fold_model(question: dict[str, Any], labelled: LabelledSet = labelled, k: int = k) -> Path:
            return files[f"fold{zlib.crc32(group_of(labelled, question).encode()) % k}"]

        def set_model(question: dict[str, Any], labelled: LabelledSet = labelled) -> Path:
            return files[f"without-{labelled.name}"]

        oof, loso = judged(labelled, fold_model), judged(labelled, set_model)
        out["out_of_fold"][labelled.name] = _tally(oof)
        out["leave_one_set_out"][labelled.name] = _tally(loso)
        for question, marks in list(zip(labelled.questions, oof, strict=True)):
            if marks.get("all") is False and len(failures) < show:
                want = {k: question[k] for k in ("value", "value_max", "month", "day", "all_of") if k in question}
                failures.append(f"{labelled.name}: {question['q']} | want {want} | got {' '.join(marks['answer'].split())[:100]}")
    return out


def _tally(marks: list[dict[str, Any]]) -> dict[str, float]:
    """Return a set's fig@1 and all (percent) and its question count, from each answer's marks."""
    out: dict[str, float] = {"questions": len(marks)}
    for metric in ("fig@1", "all"):
        got = [m[metric] for m in marks if metric in m]
        out[metric] = round(100 * sum(got) / len(got), 1) if got else float("nan")
    return out


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
    parser.add_argument("--only", action="append", metavar="SET",
                        help="use only this set (cmrc, drcd, real, sample, tests-sample, tests-corpus); repeatable")
    parser.add_argument("--leave-out", action="append", default=[], metavar="SET",
                        help="train without this set, to score it through qa_eval.py with BULLETIN_MODEL; repeatable")
    parser.add_argument("--show", type=int, default=0, metavar="N", help="print the first N out-of-fold failures")
    parser.add_argument("--dry-run", action="store_true", help="report, but do not write the model")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bulletin-sets-") as name:
        folder = Path(name)
        sets = [s for s in labelled_sets(args.bench, args.real, args.sample, folder)
                if (not args.only or s.name in args.only) and s.name not in args.leave_out]
        if not sets:
            print("no labelled sets found (see --bench)", file=sys.stderr)
            return 2
        # candidates are gathered with no not-found threshold: the model being fitted decides that
        unlimited = folder / "unlimited.json"
        try:
            base: Model | None = read(model_path())
        except ModelError as e:  # a feature was added or removed: the old weights cannot score, nor be compared
            print(f"{e}: gathering with zero weights", file=sys.stderr)
            base = None
        write(Model(base.weights, base.bias, 0.0, {}) if base else Model(np.zeros(len(FEATURES)), 0.0, 0.0, {}),
              unlimited)
        before = os.environ.get("BULLETIN_MODEL")
        os.environ["BULLETIN_MODEL"] = str(unlimited)
        try:
            data = dataset(sets, args.cache, args.refresh)
        finally:
            if before is None:
                os.environ.pop("BULLETIN_MODEL", None)
            else:
                os.environ["BULLETIN_MODEL"] = before
        print(f"{len(data.sets)} questions, {len(data.labels)} candidates, "
              f"{int(data.labels.sum())} right; {len(FEATURES)} features")
        l2, threshold, not_found = choose(data, args.folds)
        failures: list[str] = []
        scored = held_out(sets, data, args.folds, l2, threshold, folder, failures, args.show)
    final = fit(data, np.arange(len(data.labels)), l2=l2)
    print(f"L2 {l2}; not found below p = {threshold:.3f}: {not_found}")
    print(f"{'set':14s} {'questions':>9s} {'out-of-fold fig@1/all':>22s} {'set left out':>14s}")
    oof, loso = scored["out_of_fold"], scored["leave_one_set_out"]
    for name, row in oof.items():
        print(f"{name:14s} {int(row['questions']):9d} {row['fig@1']:14.1f}/{row['all']:5.1f}"
              f"  {loso[name]['fig@1']:7.1f}/{loso[name]['all']:5.1f}")
    print("\n".join(f"- {line}" for line in failures))
    print("weights:", ", ".join(f"{n} {w:+.2f}" for n, w in zip(FEATURES, final.weights, strict=True) if abs(w) >= 0.05))
    trained = {"date": dt.date.today().isoformat(), "l2": l2, "folds": args.folds, "questions": len(data.sets),
               "candidates": len(data.labels), "threshold": round(threshold, 6), "not_found": not_found, **scored}
    if not args.dry_run:
        write(Model(final.weights, final.bias, threshold, trained), args.out)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
