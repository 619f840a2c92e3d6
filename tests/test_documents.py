"""Real documents: the sample bulletin laid out as a PDF and as a .docx gives the same answers as its text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import (
    FIGURE_ANSWERS,
    MASTHEAD_ISO,
    MASTHEAD_NAME,
    MASTHEAD_NUMBER,
    NOT_FOUND,
    TEXT_ANSWERS,
    ask_all,
    blank_pdf,
    counts,
    encrypted_copy,
    ingest_files,
    ingest_one,
    isolate_env,
    make_sample_docx,
    make_sample_pdf,
    query,
    run_cli,
)

ALL_QUESTIONS = [*FIGURE_ANSWERS, *TEXT_ANSWERS, *NOT_FOUND]


@pytest.fixture(scope="module", autouse=True)
def _env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    yield from isolate_env(tmp_path_factory)


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sample_pdf(tmp_path_factory.mktemp("pdf") / "issue-03.pdf")


@pytest.fixture(scope="module")
def pdf_db(sample_pdf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh database holding only the PDF (no text file, no bundled sample)."""
    db = tmp_path_factory.mktemp("pdf-db") / "bulletins.db"
    [result] = ingest_files(db, [sample_pdf])
    assert result.status == "added", result.line()
    return db


@pytest.fixture(scope="module")
def pdf_answers(pdf_db: Path) -> dict[str, dict[str, Any]]:
    return ask_all(pdf_db, ALL_QUESTIONS)


def test_the_pdf_is_a_real_multi_page_bulletin_with_a_text_layer(sample_pdf: Path) -> None:
    from pypdf import PdfReader

    reader = PdfReader(sample_pdf)
    assert len(reader.pages) >= 3
    first = reader.pages[0].extract_text()
    assert MASTHEAD_NUMBER in first
    assert "2022年3月15日" in first
    assert "— 1 —" in first
    assert "— 2 —" in reader.pages[1].extract_text()
    widths = [len(line) for page in reader.pages for line in page.extract_text().splitlines()]
    assert max(widths) <= 40  # wrapped lines, not one paragraph per line


def test_pdf_only_database_holds_just_the_pdf(pdf_db: Path, sample_pdf: Path) -> None:
    assert [d for (d,) in query(pdf_db, "SELECT document FROM bulletins")] == [sample_pdf.name]
    assert counts(pdf_db)["articles"] == 5


def test_pdf_masthead_is_read_as_issue_meta(pdf_db: Path) -> None:
    assert query(pdf_db, "SELECT issue_name, issue_number, issue_date FROM bulletins") == [
        (MASTHEAD_NAME, MASTHEAD_NUMBER, MASTHEAD_ISO)]


def test_pdf_masthead_footers_and_distribution_stay_out_of_the_articles(pdf_db: Path) -> None:
    titles = [t for (t,) in query(pdf_db, "SELECT title FROM articles ORDER BY id")]
    assert titles[0] == "浦东邮政管理局与区总工会研讨快递行业建会入会工作"
    assert titles[2] == "青浦邮政管理局快递员公租房保障工作迎来“开年红”，总量破百"
    text = "\n".join(t for (t,) in query(pdf_db, "SELECT text FROM chunks"))
    assert "—" not in text.replace("——", "")  # no "— 1 —" page footer
    assert MASTHEAD_NAME not in text
    assert MASTHEAD_NUMBER not in text
    assert "报：" not in text
    assert "上海市文明办" not in text
    assert "6044.86平方米" in text
    assert "900-3000元" in text


def test_stats_shows_the_pdf_issue_date(pdf_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run_cli(capsys, "stats", "--db", pdf_db)
    assert (rc, err) == (0, "")
    assert f"newest issue date  {MASTHEAD_ISO}" in out.splitlines()
    assert "issues    1" in out.splitlines()


@pytest.mark.parametrize("question", list(FIGURE_ANSWERS))
def test_pdf_answers_figure_questions(question: str, pdf_answers: dict[str, dict[str, Any]],
                                      sample_pdf: Path) -> None:
    value, value_max, unit = FIGURE_ANSWERS[question]
    answer = pdf_answers[question]
    assert answer["found"] is True, answer["answer"]
    top = answer["figures"][0]
    assert (top["value"], top["value_max"], top["unit"]) == (value, value_max, unit)
    assert top["document"] == sample_pdf.name
    assert top["title"] == "青浦邮政管理局快递员公租房保障工作迎来“开年红”，总量破百"
    assert f"{sample_pdf.name} · {MASTHEAD_ISO}" in answer["answer"]  # cited with the issue date


@pytest.mark.parametrize("question", list(TEXT_ANSWERS))
def test_pdf_answers_text_questions(question: str, pdf_answers: dict[str, dict[str, Any]]) -> None:
    answer = pdf_answers[question]
    assert answer["found"] is True
    assert TEXT_ANSWERS[question] in answer["answer"].splitlines()[0]


@pytest.mark.parametrize("question", NOT_FOUND)
def test_pdf_does_not_answer_what_it_does_not_say(question: str, pdf_answers: dict[str, dict[str, Any]]) -> None:
    answer = pdf_answers[question]
    assert answer["found"] is False
    assert answer["figures"] == []


def test_docx_of_the_sample_answers_the_housing_question(tmp_path: Path) -> None:
    path = make_sample_docx(tmp_path / "issue-03.docx")
    db = tmp_path / "docx.db"
    [result] = ingest_files(db, [path])
    assert result.status == "added", result.line()
    assert query(db, "SELECT issue_number, issue_date FROM bulletins") == [(MASTHEAD_NUMBER, MASTHEAD_ISO)]
    answer = ask_all(db, ["青浦有多少套公租房"])["青浦有多少套公租房"]
    assert answer["found"] is True
    top = answer["figures"][0]
    assert (top["value"], top["unit"], top["document"]) == (100, "套", "issue-03.docx")


def test_encrypted_pdf_is_refused(sample_pdf: Path, tmp_path: Path) -> None:
    locked = encrypted_copy(sample_pdf, tmp_path / "locked.pdf")
    db = tmp_path / "db.db"
    result = ingest_one(db, locked.read_bytes(), locked.name)
    assert result.status == "refused"
    assert "encrypted" in result.reason
    assert counts(db) == {"bulletins": 0, "articles": 0, "chunks": 0, "figures": 0}


def test_pdf_with_only_an_owner_password_is_read(sample_pdf: Path, tmp_path: Path) -> None:
    # printing or copying restrictions do not stop anyone reading the text
    restricted = encrypted_copy(sample_pdf, tmp_path / "restricted.pdf", user_password="")
    result = ingest_one(tmp_path / "db.db", restricted.read_bytes(), restricted.name)
    assert result.status == "added", result.reason
    assert result.figures > 0


def test_docx_table_stays_in_its_article(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("闵行邮政管理局推进快递网点建设")
    document.add_paragraph("闵行局持续推进快递网点建设，各街镇网点情况见下表。")
    table = document.add_table(rows=2, cols=2)
    for row, cells in zip(table.rows, [("街镇", "网点数"), ("七宝镇", "42个")], strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    document.add_paragraph("奉贤邮政管理局开展安全检查")
    document.add_paragraph("奉贤局检查快递企业15家，发现隐患6处，均已整改完毕。")
    path = tmp_path / "table.docx"
    document.save(str(path))
    [result] = ingest_files(tmp_path / "db.db", [path])
    assert result.status == "added"
    rows = query(tmp_path / "db.db", "SELECT a.title, c.text FROM chunks c JOIN articles a ON a.id = c.article_id")
    [(title, _)] = [r for r in rows if "42个" in r[1]]
    assert title == "闵行邮政管理局推进快递网点建设"


def test_pdf_without_text_is_refused_as_a_scan(tmp_path: Path) -> None:
    scan = blank_pdf(tmp_path / "scan.pdf")
    db = tmp_path / "db.db"
    result = ingest_one(db, scan.read_bytes(), scan.name)
    assert result.status == "refused"
    assert "扫描" in result.reason
    assert "scanned" in result.reason
    assert counts(db) == {"bulletins": 0, "articles": 0, "chunks": 0, "figures": 0}
