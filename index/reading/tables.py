"""Write the tables a bulletin's text holds as sentences naming their columns: 新昌镇：完成件数23件，满意占比50.00%；

Extracted tables come in three shapes (shared notes, ecosystem §2.5): cells apart by tabs, cells apart
by spaces under a header line (指标名称 单位 数量 上期 环比), and one cell per line, row after row.
Each row becomes "label：column value，…；" and a table's rows one paragraph, so a figure sits next to
its row's label and its column's name, as it does in a sentence.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from index.analysis.text import LIST_MARK

_NUMBER = r"[-+]?\d[\d,]*(?:\.\d+)?[%％]?"
_NUMERIC = re.compile(rf"^{_NUMBER}$")
_EMPTY = {"/", "-", "—", "－", "——"}  # a cell with no value
_TABS = re.compile(r"\t+")
_ENUMERATOR = re.compile(rf"^{LIST_MARK}(?=\S)")
# a column name's own unit: 工单数量（件）, 金额(万元)
_NAME_UNIT = re.compile(r"^(.+?)[（(]([^\d（）()%％≥≤<>]{1,3})[）)]$")
_NAME_ASIDE = re.compile(r"[（(][^（）()]*[）)]")
# a change or a share is no amount of the row's unit: 环比, 同比, 占比, 增长率, 增幅
_RELATIVE = re.compile(r"比|率|幅|%|％")
_SPACED_ROW = re.compile(rf"^(?P<label>\S.*?[^\d\s,.%％])\s+(?:(?P<unit>[^\d\s,.%％]{{1,4}})\s+)?"
                         rf"(?P<values>{_NUMBER}(?:\s+{_NUMBER})*)$")
_CELL_MAX = 24  # a cell on a line of its own is short; a sentence is longer or has punctuation


@dataclass(frozen=True)
class _Column:
    name: str
    unit: str  # the unit its name gives, "" when none


def _column(name: str) -> _Column:
    name = name.strip()
    if m := _NAME_UNIT.match(name):
        return _Column(m.group(1), m.group(2))
    return _Column(_NAME_ASIDE.sub("", name) or name, "")


def _value(cell: str, unit: str) -> str:
    return cell if cell.endswith(("%", "％")) or not unit else cell + unit


def _row(label: str, columns: list[_Column], cells: list[str], unit: str = "") -> str:
    """One row as a sentence: the label, then each column's name and value (empty cells left out)."""
    label = _ENUMERATOR.sub("", label.strip())
    if m := _NAME_UNIT.match(label):  # 工单数量（件）: a transposed table's unit is its row's
        label, unit = m.group(1), unit or m.group(2)
    parts = []
    for col, cell in zip(columns, cells, strict=False):
        if cell in _EMPTY:
            continue
        own = col.unit or ("" if _RELATIVE.search(col.name) else unit)
        parts.append(f"{col.name}{_value(cell, own)}")
    if not columns:
        parts = [_value(c, unit) for c in cells if c not in _EMPTY]
    return f"{label}：{'，'.join(parts)}；"


def _numeric(cell: str) -> bool:
    return bool(_NUMERIC.match(cell)) or cell in _EMPTY


# --- cells apart by tabs ------------------------------------------------------------------------

def _tabbed(lines: list[str]) -> Iterator[tuple[str, bool]]:
    """Yield (line, is_row): tab-separated rows under a header of names become sentences."""
    header: list[str] | None = None
    for line in lines:
        cells = [c.strip() for c in _TABS.split(line.strip())] if "\t" in line else []
        if len(cells) >= 3 and not any(_NUMERIC.match(c) for c in cells):
            header = cells  # a row of names only: the columns' header
            continue
        if header and len(cells) == len(header) and sum(map(_numeric, cells)) >= len(cells) // 2:
            yield _row(cells[0], [_column(n) for n in header[1:]], cells[1:]), True
            continue
        header = None
        yield line, False


# --- cells apart by spaces, under a header line -------------------------------------------------

def _spaced_header(line: str) -> list[str] | None:
    cells = line.split()
    if 3 <= len(cells) <= 10 and all(len(c) <= 8 and not _numeric(c) for c in cells) \
            and not re.search("[，。；：]", line):
        return cells
    return None


def _spaced(lines: list[str]) -> Iterator[tuple[str, bool]]:
    """Yield (line, is_row): rows such as `城市低保户数 47,396 47,596 -0.42` under a header line of names.

    A header holds while the lines under it are rows, short headings or a line of column numbers."""
    header: list[str] | None = None
    for line in lines:
        text = line.strip()
        if (names := _spaced_header(text)) is not None:
            header = names
            continue
        if header is None:
            yield line, False
            continue
        m = _SPACED_ROW.match(text)
        if m:
            units = "单位" in header
            values = m.group("values").split()
            columns = [_column(n) for n in header[1:] if n != "单位"]
            yield _row(m.group("label"), columns, values, (m.group("unit") or "") if units else ""), True
            continue
        if not text or re.fullmatch(r"[\d\s]+", text):
            continue  # the column numbers (1 2 3) under a statistics table's header
        if len(text) > _CELL_MAX or re.search("[，。；]", text):
            header = None  # running text again: the table has ended
        yield line, False


# --- one cell per line --------------------------------------------------------------------------

def _is_cell(line: str) -> bool:
    text = line.strip()
    return 0 < len(text) <= _CELL_MAX and not re.search("[，。；！？,;]", text)


def _cells(run: list[str]) -> list[str]:
    """The run's cells, a name's aside on a line of its own (（≥90%达标）) joined to the name."""
    out: list[str] = []
    for line in run:
        text = line.strip()
        if out and re.fullmatch(r"[（(][^（）()]*[）)]", text) and not _numeric(out[-1]):
            out[-1] += text
        else:
            out.append(text)
    return out


def _groups(cells: list[str]) -> list[tuple[list[str], list[str]]]:
    """Split cells into (names, values) groups: the text cells, then the value cells after them."""
    groups: list[tuple[list[str], list[str]]] = []
    for cell in cells:
        if _numeric(cell):
            if not groups:
                groups.append(([], []))
            groups[-1][1].append(cell)
        elif not groups or groups[-1][1]:
            groups.append(([cell], []))
        else:
            groups[-1][0].append(cell)
    return groups


def _cell_table(run: list[str]) -> list[str] | None:
    """Read a run of one-cell lines as a table; None when it is not one.

    The first group's text cells are the header (and the first row's label); the commonest number of
    values per row gives the columns, which are the header's last names. Values before the first row
    (a 受理总量 spanning the rows) go with the header's first names."""
    groups = _groups(_cells(run))
    trailing: list[str] = []
    if groups and not groups[-1][1]:
        trailing = groups.pop()[0]  # names after the last value: a heading, not the table's
    if not groups or not groups[0][0] or sum(len(v) for _, v in groups) < 3:
        return None
    if len(groups) == 1 and len(groups[0][0]) <= len(groups[0][1]):
        return None  # one row: a table only under a header naming each of its values
    counts = [len(v) for _, v in groups[1:]]
    width = Counter(counts).most_common(1)[0][0] if len(counts) >= 2 else len(groups[0][1])
    head, first = groups[0]
    out: list[str] = []
    if len(first) == width and len(head) >= 2:
        header, rows = head[:-1], [(head[-1], first), *((n[-1], v) for n, v in groups[1:])]
        spare: list[tuple[str, str]] = []
    else:  # the first values span the rows: they belong to the header's first names
        header, rows = head, [(n[-1], v) for n, v in groups[1:]]
        spare = list(zip(header, first, strict=False))
    if len(header) < width:
        return None
    names = header[-width:]
    used = {name for name, _ in spare}
    # a caption above the header (乡镇工单量排名前五：) stays; the names no column takes go
    out.extend(c for c in header[:-width - 1] if c not in used and c.endswith(("：", ":")))
    columns = [_column(n) for n in names]
    sentences = [_row(name, [], [value]) for name, value in spare]
    for label, values in rows:
        sentences.append(_row(label, columns if len(values) == width else [], values))
    out.append("".join(sentences))
    return [*out, *trailing]


def _one_per_line(lines: list[str]) -> Iterator[str]:
    run: list[str] = []
    for line in [*lines, None]:
        if line is not None and _is_cell(line):
            run.append(line)
            continue
        if run:
            yield from _cell_table(run) or run
            run = []
        if line is not None:
            yield line


# --- all shapes ---------------------------------------------------------------------------------

def _paragraphs(rows: Iterator[tuple[str, bool]]) -> Iterator[str]:
    """Join consecutive rows into one paragraph: a list of a table's row labels stays together."""
    pending: list[str] = []
    for line, is_row in rows:
        if is_row:
            pending.append(line)
            continue
        if pending:
            yield "".join(pending)
            pending = []
        yield line
    if pending:
        yield "".join(pending)


def linearize_tables(lines: list[str]) -> list[str]:
    """Write each table row as a sentence naming its columns, the rows of a table one paragraph:
    单位 办件数量 … 解决率 / 瑞州街办 99 … 64.29% -> 瑞州街办：办件数量99，…，解决率64.29%；"""
    tabbed = list(_paragraphs(_tabbed(lines)))
    spaced = list(_paragraphs(_spaced(tabbed)))
    return list(_one_per_line(spaced))
