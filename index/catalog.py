"""The stored issues: list them, and take one out of the index (or out of the database)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from index.errors import NoSuchIssue
from index.records import StoredIssue
from index.sanitize import one_line
from index.storage.store import Store


@dataclass(frozen=True, slots=True)
class Removed:
    """What `remove` did to which issue: the version taken out, and what that left in the index."""

    issue: StoredIssue
    purged: bool
    restored: StoredIssue | None = None  # purged from the index: the version it replaced, put back in its place
    others: tuple[StoredIssue, ...] = ()  # the other versions the name named: out of the index, and left so

    def line(self) -> str:
        """Describe the removal in one line."""
        if self.purged:
            line = f"purged    {describe(self.issue)}: deleted from the database"
            if self.restored is not None:
                return f"{line}; restored {describe(self.restored)} to the index (the version it replaced)"
            if self.issue.state == "indexed":
                return f"{line}; it replaced no stored version, so its issue has none in the index now"
            return line
        line = f"removed   {describe(self.issue)}: out of the index, kept in the database (ingest it again to restore)"
        if self.others:
            listed = ", ".join(f"#{i.id} {i.document} ({i.state})" for i in self.others[:5])
            return (f"{line}; of the {len(self.others) + 1} versions named so, this was the one in the index: "
                    f"the others stay out of it ({listed})")
        return line


@dataclass(frozen=True, slots=True)
class Reinstated:
    """What `restore_issue` put back into the index, and the versions it replaced."""

    issue: StoredIssue
    replaced: tuple[str, ...]

    def line(self) -> str:
        """Describe the restoring in one line."""
        replaced = f"; replaces {', '.join(self.replaced)} (kept, out of the index)" if self.replaced else ""
        return f"restored  {describe(self.issue)}: back in the index{replaced}"


async def restore_issue(store: Store, name: str) -> Reinstated:
    """Put a removed (or replaced) issue back into the index, in place of the issue's indexed version if any."""
    found = [i for i in await store.issues() if matches(i, name)]
    out = [i for i in found if i.state != "indexed"]
    if not found:
        raise NoSuchIssue(f"no stored issue matches {name!r}; `bulletin list` shows them")
    if not out:
        raise NoSuchIssue(f"{describe(found[0])} is in the index already")
    if len(out) > 1:
        listed = "; ".join(describe(i) for i in out[:5])
        raise NoSuchIssue(f"{name!r} matches {len(out)} issues out of the index ({listed}); name one by its number")
    return Reinstated(out[0], await store.reinstate(out[0].id))


def describe(issue: StoredIssue) -> str:
    """Name an issue briefly: #id document (series number date period)."""
    parts = " ".join(p for p in (issue.issue_name, issue.issue_number, issue.issue_date, issue.issue_period) if p)
    return f"#{issue.id} {issue.document}" + (f" ({parts})" if parts else "")


def matches(issue: StoredIssue, name: str) -> bool:
    """Whether name names this issue: its number in `bulletin list` (3, or #3 quoted: a shell drops #3 as a comment),
    file name or stem, issue number (第3期), date or period."""
    name = name.strip()
    return name in (f"#{issue.id}", str(issue.id), issue.document, Path(issue.document).stem, issue.issue_number,
                    issue.issue_date, issue.issue_period)


def choose(issues: list[StoredIssue], name: str, *, purge: bool) -> StoredIssue:
    """Pick the one issue name names; the indexed one first when versions share a name."""
    found = [i for i in issues if matches(i, name)]
    if not purge and len(found) > 1:
        found = [i for i in found if i.state == "indexed"] or found
    if not found:
        raise NoSuchIssue(f"no stored issue matches {name!r}; `bulletin list` shows them")
    if len(found) > 1:
        listed = "; ".join(describe(i) for i in found[:5])
        raise NoSuchIssue(f"{name!r} matches {len(found)} issues ({listed}); name one by the number "
                          f"`bulletin list --all` shows (`bulletin remove {found[0].id}`)")
    return found[0]


async def remove_issue(store: Store, name: str, *, purge: bool = False) -> Removed:
    """Take the named issue out of the index (kept stored), or with purge delete it and all it derived.

    A name that names older versions too (a corrected file under the same name) takes out the version in the index.
    Purging the version in the index puts back the version it replaced (the newest, if it replaced several).
    """
    issues = await store.issues()
    issue = choose(issues, name, purge=purge)
    if issue.state != "indexed" and not purge:  # a replaced version keeps its state, and what replaced it
        raise NoSuchIssue(f"{describe(issue)} is already out of the index ({issue.state}; --purge deletes it)")
    others = () if purge else tuple(i for i in issues if i.id != issue.id and matches(i, name))
    restored = await store.remove(issue.id, purge=purge)
    return Removed(issue, purge, next((i for i in issues if i.id == restored), None), others)


def table(issues: list[StoredIssue]) -> list[str]:
    """Lay out the stored issues as the lines of `bulletin list`."""
    header = ("#", "date", "series", "number", "period", "document", "articles", "figures", "ingested", "state")
    # names and headers come from files: one_line keeps each issue on its line (one stored before names were
    # cleaned may hold a newline or a bidi override)
    # the number alone, as `bulletin remove 8` takes it (an unquoted #8 is a comment to the shell)
    rows = [tuple(map(one_line, (
        str(i.id), i.issue_date or "-", i.issue_name or "-", i.issue_number or "-", i.issue_period or "-",
        i.document, str(i.articles), str(i.figures), i.ingested_at.replace("T", " ")[:16],
        i.state + (f" by {i.replaced_by}" if i.replaced_by else "")))) for i in issues]
    widths = [max(_width(r[k]) for r in [header, *rows]) for k in range(len(header))]
    return ["  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in [header, *rows]]


def _width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters take two."""
    return sum(2 if "\u2e80" <= c <= "\ufe4f" or "\uff00" <= c <= "\uffef" else 1 for c in text)
