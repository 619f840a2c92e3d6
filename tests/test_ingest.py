"""Ingest: folders and files, encodings, refusals with a reason, exit status, and nothing stored on refusal."""

from __future__ import annotations

import gc
import random
import shutil
import warnings
from pathlib import Path

import pytest

from helpers import (
    ARTICLE_TEXT,
    SAMPLE,
    SAMPLE_NAME,
    ask_all,
    db_fingerprint,
    docx_bytes,
    ingest_files,
    ingest_one,
    layout_pdf,
    query,
    run_cli,
)
from index import Segmenter

GB_TITLE = "闵行邮政管理局开展快递员职业技能培训"
GB_PARAGRAPHS = (
    "4月8日，闵行邮政管理局联合区人社局在莘庄镇举办快递员职业技能培训班，共有86名快递员参加培训并通过考核，"
    "取得快递员职业技能等级证书，进一步提升了行业从业人员的职业素养和服务水平。",
    "下一步，闵行局将继续会同相关部门扩大培训覆盖面，计划全年培训快递员不少于500人次，"
    "切实增强快递从业人员的获得感、归属感和幸福感，推动辖区快递业高质量发展。",
)


def article_text(district: str, number: int) -> tuple[str, list[str]]:
    """A short, distinct article about a district (long paragraphs, one per line)."""
    title = f"{district}邮政管理局推进快递网点标准化建设"
    body = [f"今年以来，{district}邮政管理局持续推进快递末端网点标准化建设，累计完成{number}个网点的改造提升，"
            f"进一步改善了快递员的工作环境，提升了末端服务质量和群众满意度，取得了阶段性成效。"]
    return title, body


def as_lines(title: str, paragraphs: list[str] | tuple[str, ...]) -> str:
    return "\n".join([title, *paragraphs]) + "\n"




@pytest.fixture
def db(sample_db: Path, tmp_path: Path) -> Path:
    """A private copy of the database holding the sample."""
    return Path(shutil.copy(sample_db, tmp_path / "db.db"))


@pytest.fixture(scope="module")
def small_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = layout_pdf(tmp_path_factory.mktemp("pdf") / "jiading.pdf", [article_text("嘉定", 37)])
    return path.read_bytes()


@pytest.fixture
def tree(tmp_path: Path, small_pdf: bytes) -> Path:
    """A folder of bulletins in several formats, nested, among files that are not bulletins."""
    root = tmp_path / "inbox"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".hidden").mkdir()
    (root / "a-minhang.md").write_text(as_lines(*article_text("闵行", 12)), encoding="utf-8")
    (root / "sub" / "E-BAOSHAN.TXT").write_text(as_lines(*article_text("宝山", 23)), encoding="utf-8")
    (root / "sub" / "b-jinshan.txt").write_text(as_lines(*article_text("金山", 31)), encoding="utf-8")
    title, body = article_text("崇明", 8)
    (root / "sub" / "deeper" / "c-chongming.docx").write_bytes(docx_bytes([title, *body]))
    (root / "sub" / "deeper" / "d-jiading.pdf").write_bytes(small_pdf)
    # not bulletins: other suffixes, no suffix, hidden folders and files
    (root / "table.xlsx").write_bytes(docx_bytes(["松江有999套公租房。"]))
    (root / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    (root / "notes.csv").write_text("区,公租房\n松江,999\n", encoding="utf-8")
    (root / "README").write_text(as_lines(*article_text("松江", 999)), encoding="utf-8")
    (root / ".hidden" / "secret.txt").write_text(as_lines(*article_text("松江", 998)), encoding="utf-8")
    (root / "sub" / ".draft.txt").write_text(as_lines(*article_text("松江", 997)), encoding="utf-8")
    return root


TREE_DOCUMENTS = ["a-minhang.md", "E-BAOSHAN.TXT", "b-jinshan.txt", "c-chongming.docx", "d-jiading.pdf"]


def test_folder_is_walked_recursively_for_bulletin_files_only(db: Path, tree: Path) -> None:
    before_counts, before_docs = db_fingerprint(db)
    results = ingest_files(db, [tree])
    assert [r.document for r in results] == TREE_DOCUMENTS  # name order, every level, nothing else
    assert [r.status for r in results] == ["added"] * 5, [r.line() for r in results]
    assert all(r.articles == 1 and r.chunks >= 1 and r.figures >= 1 for r in results)
    after_counts, after_docs = db_fingerprint(db)
    assert [d for d, _ in after_docs] == [d for d, _ in before_docs] + TREE_DOCUMENTS
    assert after_counts["bulletins"] == before_counts["bulletins"] + 5
    stored = "".join(t for (t,) in query(db, "SELECT text FROM chunks"))
    assert "999" not in stored
    assert "998" not in stored
    assert "997" not in stored
    assert "累计完成37个网点" in stored  # the PDF's text made it in
    assert "累计完成8个网点" in stored  # and the .docx's


def test_gb18030_text_file_is_read_correctly(db: Path, tmp_path: Path) -> None:
    data = as_lines(GB_TITLE, GB_PARAGRAPHS).encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    path = tmp_path / "minhang-gb.txt"
    path.write_bytes(data)
    [result] = ingest_files(db, [path])
    assert result.status == "added", result.line()
    rows = query(db, f"SELECT a.title, {ARTICLE_TEXT}, b.raw_text FROM articles a JOIN bulletins b ON b.id = a.bulletin_id"
                     " WHERE b.document = 'minhang-gb.txt'")
    assert rows == [(GB_TITLE, "\n".join(GB_PARAGRAPHS), as_lines(GB_TITLE, GB_PARAGRAPHS))]
    answer = ask_all(db, ["闵行有多少名快递员参加培训"])["闵行有多少名快递员参加培训"]
    assert answer["found"] is True
    assert answer["figures"][0]["value"] == 86
    assert answer["figures"][0]["document"] == "minhang-gb.txt"


def _refusals(small_pdf: bytes) -> dict[str, tuple[str, bytes, str]]:
    rng = random.Random(20240307)
    noise = rng.randbytes(4096)
    assert not noise.startswith((b"%PDF-", b"PK"))
    return {
        "xlsx": ("figures.xlsx", docx_bytes(["松江有999套公租房。"]), "unsupported file type .xlsx"),
        "no suffix": ("bulletin", b"\xe6\x9d\xbe\xe6\xb1\x9f", "unsupported file type (none)"),
        "empty": ("empty.txt", b"", "empty"),
        "whitespace": ("blank.md", b" \r\n\t\n  \n", "empty"),
        "random .pdf": ("random.pdf", noise, "not a PDF"),
        "docx named .pdf": ("report.pdf", docx_bytes(["松江有999套公租房。"]), "not a PDF"),
        "truncated pdf": ("cut.pdf", small_pdf[: len(small_pdf) // 3], "damaged"),
        "pdf named .txt": ("scan.txt", small_pdf, "not plain text"),
        "utf-16 text": ("utf16.txt", "松江有999套公租房。".encode("utf-16"), "encoding"),
        "text named .docx": ("memo.docx", "松江有999套公租房。".encode(), "not a .docx"),
        "broken docx": ("broken.docx", b"PK\x03\x04" + noise, "damaged"),
    }


REFUSAL_CASES = ["xlsx", "no suffix", "empty", "whitespace", "random .pdf", "docx named .pdf", "truncated pdf",
                 "pdf named .txt", "utf-16 text", "text named .docx", "broken docx"]


@pytest.mark.parametrize("case", REFUSAL_CASES)
def test_unreadable_input_is_refused_with_a_reason_and_stores_nothing(case: str, db: Path, small_pdf: bytes) -> None:
    name, data, reason = _refusals(small_pdf)[case]
    before = db_fingerprint(db)
    result = ingest_one(db, data, name)
    assert (result.document, result.status) == (name, "refused")
    assert reason in result.reason
    assert "\n" not in result.reason
    assert result.line() == f"refused   {name}: {result.reason}"
    assert db_fingerprint(db) == before


def test_missing_file_is_refused(db: Path, tmp_path: Path) -> None:
    before = db_fingerprint(db)
    [result] = ingest_files(db, [tmp_path / "nowhere.txt"])
    assert (result.document, result.status, result.reason) == ("nowhere.txt", "refused", "no such file")
    assert db_fingerprint(db) == before


def test_cli_ingest_exits_1_when_anything_is_refused(
        db: Path, tmp_path: Path, small_pdf: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "jinshan.txt"
    good.write_text(as_lines(*article_text("金山", 31)), encoding="utf-8")
    cases = _refusals(small_pdf)
    bad = []
    for case in ("xlsx", "empty", "random .pdf", "docx named .pdf"):
        name, data, _ = cases[case]
        (tmp_path / name).write_bytes(data)
        bad.append(tmp_path / name)
    before_counts, before_docs = db_fingerprint(db)

    rc, out, err = run_cli(capsys, "--db", db, "ingest", good, *bad, tmp_path / "missing.txt")

    assert rc == 1
    lines = out.splitlines()
    assert len(lines) == 6
    assert lines[0].startswith("added     jinshan.txt: 1 articles")
    for line, path, (_, _, reason) in zip(lines[1:5], bad, [cases[c] for c in
                                                             ("xlsx", "empty", "random .pdf", "docx named .pdf")],
                                          strict=True):
        assert line.startswith(f"refused   {path.name}: ")
        assert reason in line
    assert lines[5] == "refused   missing.txt: no such file"
    assert "1 added, 5 refused in" in err
    after_counts, after_docs = db_fingerprint(db)
    assert [d for d, _ in after_docs] == [d for d, _ in before_docs] + ["jinshan.txt"]
    assert after_counts["bulletins"] == before_counts["bulletins"] + 1


def test_cli_ingest_exits_0_when_all_added_and_again_when_all_unchanged(
        db: Path, tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run_cli(capsys, "ingest", tree, "--db", db)
    assert rc == 0, out + err
    assert [ln.split(":")[0].split() for ln in out.splitlines()] == [["added", d] for d in TREE_DOCUMENTS]
    assert "5 added, 0 refused in" in err
    fingerprint = db_fingerprint(db)

    rc, out, err = run_cli(capsys, "--db", db, "ingest", tree, SAMPLE)
    assert rc == 0, out + err
    assert [ln.split(":")[0].split() for ln in out.splitlines()] == [
        ["unchanged", d] for d in [*TREE_DOCUMENTS, SAMPLE_NAME]]
    assert "0 added, 6 unchanged, 0 refused in" in err
    assert db_fingerprint(db) == fingerprint


def test_cli_ingest_of_a_folder_without_bulletins_exits_1(
        db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "nothing-here"
    folder.mkdir()
    (folder / "table.xlsx").write_bytes(b"PK\x03\x04")
    before = db_fingerprint(db)
    rc, out, err = run_cli(capsys, "--db", db, "ingest", folder)
    assert rc == 1
    assert out == ""
    assert "no bulletin files" in err
    assert db_fingerprint(db) == before


def test_plain_text_with_one_paragraph_per_line_keeps_every_title(db: Path, tmp_path: Path) -> None:
    """A .txt typed by hand (title line, then one line per paragraph) of short news items: three articles."""
    items = [
        ("嘉定邮政管理局开展快递员关爱活动", "3月12日，嘉定邮政管理局在南翔镇开展关爱快递小哥活动，为120名快递员送去慰问品。"),
        ("嘉定邮政管理局召开安全生产会议", "3月20日，嘉定邮政管理局召开寄递安全生产工作会议，全区45家快递网点负责人参加。"),
        ("嘉定邮政管理局开展消防演练", "3月25日，嘉定邮政管理局组织辖区快递企业开展消防应急演练，共有60余人参加。"),
    ]
    path = tmp_path / "jiading-news.txt"
    path.write_text("".join(as_lines(t, [p]) for t, p in items), encoding="utf-8")
    [result] = ingest_files(db, [path])
    assert result.status == "added"
    rows = query(db, f"SELECT a.title, {ARTICLE_TEXT} FROM articles a JOIN bulletins b ON b.id = a.bulletin_id"
                     " WHERE b.document = ? ORDER BY a.ordinal", path.name)
    assert rows == items


def test_a_database_of_one_short_bulletin_answers_questions_about_it(tmp_path: Path) -> None:
    """The first bulletin a user adds to an empty index (no sample) must be answerable on its own."""
    path = tmp_path / "minhang-gb.txt"
    path.write_text(as_lines(GB_TITLE, GB_PARAGRAPHS[:1]), encoding="utf-8")
    db = tmp_path / "alone.db"
    [result] = ingest_files(db, [path])
    assert (result.status, result.chunks) == ("added", 1)
    answer = ask_all(db, ["闵行有多少名快递员参加培训"])["闵行有多少名快递员参加培训"]
    assert answer["found"] is True, answer["answer"]
    assert answer["figures"][0]["value"] == 86


def test_segmenter_leaves_no_file_open() -> None:
    """Building a Segmenter must close the dictionary files it reads (filterwarnings=error fails on leaks)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        segmenter = Segmenter()
        del segmenter
        gc.collect()
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == []


def test_ingest_on_a_terminal_shows_a_progress_bar_with_the_same_lines(db: Path, tree: Path) -> None:
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import sys
    import termios

    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a terminal window's size
    process = subprocess.Popen([sys.executable, "-m", "bot", "--db", str(db), "ingest", str(tree)],
                               stdout=subprocess.PIPE, stderr=terminal, text=True)
    os.close(terminal)
    out, _ = process.communicate(timeout=120)
    screen = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        screen += chunk
    os.close(controller)
    assert process.returncode == 0
    assert [ln.split(":")[0].split() for ln in out.splitlines()] == [["added", d] for d in TREE_DOCUMENTS]
    shown = screen.decode("utf-8", "replace")
    assert "| 0/5 [" in shown  # tqdm's bar over the five files
    assert "file/s]" in shown
    assert "5 added, 0 refused in" in shown


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_the_same_text_resaved_in_another_encoding_is_unchanged(
        db: Path, tmp_path: Path, encoding: str, capsys: pytest.CaptureFixture[str]) -> None:
    resaved = tmp_path / encoding / SAMPLE_NAME
    resaved.parent.mkdir()
    resaved.write_bytes(SAMPLE.read_text(encoding="utf-8").encode(encoding))
    assert resaved.read_bytes() != SAMPLE.read_bytes()
    before = db_fingerprint(db)
    rc, out, _ = run_cli(capsys, "--db", db, "ingest", resaved)
    assert rc == 0
    assert out.startswith(f"unchanged {SAMPLE_NAME}: same text as {SAMPLE_NAME}")
    assert db_fingerprint(db) == before
