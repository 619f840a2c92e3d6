"""Removing issues: `remove 8` takes the number `list` shows, a name of several versions takes out the indexed one,
`--purge` puts back the version it replaced, and `list` leaves out replaced versions unless `--all`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import (
    JIADING_NAME,
    JIADING_QUESTION,
    JIADING_TEXT,
    ROOT,
    SAMPLE_NAME,
    ask_all,
    ingest_one,
    query,
    run_cli,
)

CORRECTED = JIADING_TEXT.replace("累计建成45个", "累计建成47个")
CORRECTED_NAME = "jiading-05-corrected.txt"
SECOND_CORRECTION = JIADING_TEXT.replace("累计建成45个", "累计建成48个")
NOTES = JIADING_TEXT.split("\n\n", 1)[1]  # no masthead: an issue by its file name, so versions share the name


@pytest.fixture
def db(sample_db: Path, tmp_path: Path) -> Path:
    """A private copy of the database holding the sample (#1)."""
    return Path(shutil.copy(sample_db, tmp_path / "db.db"))


def rows(db: Path) -> list[tuple[int, str, str, str | None]]:
    """Every stored version: id, document, state and the document that replaced it, straight from the file."""
    return query(db, "SELECT b.id, b.document, b.state, r.document FROM bulletins b"
                     " LEFT JOIN bulletins r ON r.id = b.replaced_by ORDER BY b.id")


def listed_numbers(out: str) -> dict[str, str]:
    """`bulletin list`'s first column by document: what is typed after `bulletin remove`."""
    header, *lines = out.splitlines()
    assert header.split()[0] == "#"
    found: dict[str, str] = {}
    for line in lines:
        cells = line.split()
        found[next(c for c in cells if c.endswith(".txt"))] = cells[0]
    return found


def headline(db: Path) -> str:
    return str(ask_all(db, [JIADING_QUESTION])[JIADING_QUESTION]["answer"])


def test_remove_takes_the_number_list_shows_and_a_quoted_hash_number(
        db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ingest_one(db, JIADING_TEXT.encode(), JIADING_NAME)
    rc, out, _ = run_cli(capsys, "--db", db, "list")
    assert rc == 0
    numbers = listed_numbers(out)
    assert numbers == {SAMPLE_NAME: "1", JIADING_NAME: "2"}  # a plain number: `#2` typed unquoted is a comment

    rc, out, err = run_cli(capsys, "--db", db, "remove", numbers[JIADING_NAME])
    assert (rc, err) == (0, "")
    assert out.startswith(f"removed   #2 {JIADING_NAME} ")
    assert rows(db)[1][2] == "removed"

    ingest_one(db, JIADING_TEXT.encode(), JIADING_NAME)  # back in the index
    rc, out, err = run_cli(capsys, "--db", db, "remove", "#2")  # as a shell passes '#2' quoted
    assert (rc, err) == (0, "")
    assert out.startswith(f"removed   #2 {JIADING_NAME} ")


def test_help_and_readme_suggest_the_number_not_a_hash(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run_cli(capsys, "remove", "--help")
    shown = capsys.readouterr().out
    assert "bulletin remove 8" in shown
    assert "#id" not in shown
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`bulletin remove 8`" in readme
    assert "#id" not in readme
    import bot.cli

    assert "bulletin remove 8 " in str(bot.cli.__doc__)
    assert "#id" not in str(bot.cli.__doc__)


def test_a_name_of_older_versions_and_the_current_one_removes_the_current_and_says_so(
        db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ingest_one(db, NOTES.encode(), "notes.txt").status == "added"  # #2
    assert ingest_one(db, NOTES.replace("45个", "47个").encode(), "notes.txt").status == "updated"  # #3
    assert rows(db)[1:] == [(2, "notes.txt", "replaced", "notes.txt"), (3, "notes.txt", "indexed", None)]

    rc, out, err = run_cli(capsys, "--db", db, "remove", "notes.txt")

    assert (rc, err) == (0, "")
    assert out.count("\n") == 1
    assert out.startswith("removed   #3 notes.txt: out of the index, kept in the database")
    assert out.rstrip().endswith("; of the 2 versions named so, this was the one in the index: "
                                 "the others stay out of it (#2 notes.txt (replaced))")
    assert rows(db)[1:] == [(2, "notes.txt", "replaced", "notes.txt"), (3, "notes.txt", "removed", None)]
    assert "47" not in headline(db)
    assert "45" not in headline(db)


def test_purging_the_indexed_version_restores_the_one_it_replaced(
        db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ingest_one(db, JIADING_TEXT.encode(), JIADING_NAME)  # #2
    ingest_one(db, CORRECTED.encode(), CORRECTED_NAME)  # #3 replaces #2
    ingest_one(db, SECOND_CORRECTION.encode(), "jiading-05-v3.txt")  # #4 replaces #3
    assert "48个" in headline(db)

    rc, out, err = run_cli(capsys, "--db", db, "remove", "4", "--purge")

    assert (rc, err) == (0, "")
    assert out == ("purged    #4 jiading-05-v3.txt (邮政管理工作简报 第5期 2023-05-20): deleted from the database; "
                   f"restored #3 {CORRECTED_NAME} (邮政管理工作简报 第5期 2023-05-20) to the index "
                   "(the version it replaced)\n")
    # the newest older version is back; the one before it stays replaced, now by the restored one
    assert rows(db)[1:] == [(2, JIADING_NAME, "replaced", CORRECTED_NAME), (3, CORRECTED_NAME, "indexed", None)]
    assert "47个" in headline(db)
    rc, out, _ = run_cli(capsys, "--db", db, "stats")
    assert "issues    2" in out.splitlines()

    rc, out, _ = run_cli(capsys, "--db", db, "remove", "3", "--purge")
    assert rc == 0
    assert f"; restored #2 {JIADING_NAME} " in out
    assert rows(db)[1:] == [(2, JIADING_NAME, "indexed", None)]
    assert "45个" in headline(db)


def test_purging_a_replaced_version_hands_what_it_replaced_to_its_successor(
        db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ingest_one(db, JIADING_TEXT.encode(), JIADING_NAME)
    ingest_one(db, CORRECTED.encode(), CORRECTED_NAME)
    ingest_one(db, SECOND_CORRECTION.encode(), "jiading-05-v3.txt")

    rc, out, _ = run_cli(capsys, "--db", db, "remove", "3", "--purge")

    assert rc == 0
    assert out == (f"purged    #3 {CORRECTED_NAME} (邮政管理工作简报 第5期 2023-05-20): deleted from the database\n")
    assert rows(db)[1:] == [(2, JIADING_NAME, "replaced", "jiading-05-v3.txt"), (4, "jiading-05-v3.txt", "indexed", None)]
    assert "48个" in headline(db)


def test_purging_an_issue_that_replaced_nothing_says_it_leaves_none_in_the_index(
        db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ingest_one(db, JIADING_TEXT.encode(), JIADING_NAME)
    rc, out, _ = run_cli(capsys, "--db", db, "remove", "2", "--purge")
    assert rc == 0
    assert out.rstrip().endswith(": deleted from the database; it replaced no stored version, "
                                 "so its issue has none in the index now")


def test_a_purge_of_a_name_several_versions_share_asks_for_the_number(
        db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ingest_one(db, NOTES.encode(), "notes.txt")
    ingest_one(db, NOTES.replace("45个", "47个").encode(), "notes.txt")
    before = rows(db)
    rc, _, err = run_cli(capsys, "--db", db, "remove", "notes.txt", "--purge")
    assert rc == 1
    assert "'notes.txt' matches 2 issues (#2 notes.txt; #3 notes.txt); name one by the number " \
           "`bulletin list --all` shows (`bulletin remove 2`)" in err
    assert rows(db) == before


def test_list_leaves_out_replaced_versions_unless_all(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ingest_one(db, JIADING_TEXT.encode(), JIADING_NAME)
    ingest_one(db, CORRECTED.encode(), CORRECTED_NAME)
    ingest_one(db, JIADING_TEXT.replace("第5期", "第6期").replace("5月20日", "6月20日").encode(), "jiading-06.txt")
    assert run_cli(capsys, "--db", db, "remove", "jiading-06.txt")[0] == 0  # removed: still listed

    rc, out, err = run_cli(capsys, "--db", db, "list")

    assert rc == 0
    assert listed_numbers(out) == {CORRECTED_NAME: "3", "jiading-06.txt": "4", SAMPLE_NAME: "1"}
    assert err == "1 older version replaced by a corrected file not shown; `bulletin list --all` shows them\n"

    rc, out, err = run_cli(capsys, "--db", db, "list", "--all")
    assert (rc, err) == (0, "")
    assert listed_numbers(out) == {JIADING_NAME: "2", CORRECTED_NAME: "3", "jiading-06.txt": "4", SAMPLE_NAME: "1"}
    assert out.splitlines()[1].endswith(f"replaced by {CORRECTED_NAME}")
