"""What an import did, or would do: the JSON shape SPEC names, plus details."""

from __future__ import annotations

from dataclasses import dataclass, field

from ordercli.io.imports.reader import Problem


@dataclass
class ImportResult:
    file: str
    kind: str
    dry_run: bool
    created: int = 0
    updated: int = 0
    skipped: int = 0
    rows: int = 0
    lines_created: int = 0
    confirmed: int = 0
    errors: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        document = {
            "file": self.file,
            "kind": self.kind,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "errors": [{"line": p.line, "message": p.message} for p in self.errors],
            "ignored_columns": self.ignored_columns,
        }
        if self.kind == "orders":
            document["lines_created"] = self.lines_created
            document["confirmed"] = self.confirmed
        return document


class Progress:
    """What an import reports while it works; the CLI draws a bar, tests pass nothing."""

    def start(self, total: int, description: str) -> None:  # pragma: no cover - interface
        pass

    def advance(self, count: int = 1) -> None:  # pragma: no cover - interface
        pass
