"""What the per-figure benchmarks share: cached ledgers, timed processes, the summary.

Every figure is measured the same way: ordercli and its anchor run in the same
session, alternating (the order rotates from run to run, so neither side
always meets a warm or a cold cache), several times; the figure is the median
of each side and their ratio. Processes are timed as a user meets them (wall
time from start to exit) and their peak memory is the kernel's ``ru_maxrss``
of that one child (``os.wait4``).

Generated ledgers (``bench/ledger_gen.py``) are cached in
``$ORDERCLI_BENCH_CACHE`` (default: ``ordercli-bench`` in the temporary
directory), named by size, seed, the generator's version and the ledger's
schema revision, so reruns start at once and a changed generator or schema
gets a fresh ledger. Cached ledgers are only read; a benchmark that writes
works on a copy.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
ORDERCLI = str(Path(sys.executable).parent / "ordercli")

if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import ledger_gen  # noqa: E402

TODAY = ledger_gen.LEDGER_END


# -- ledgers ------------------------------------------------------------------------------


def cache_dir() -> Path:
    folder = Path(
        os.environ.get("ORDERCLI_BENCH_CACHE") or Path(tempfile.gettempdir()) / "ordercli-bench"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def schema_revision() -> str:
    from ordercli.db.engine import HEAD_REVISION

    return HEAD_REVISION


def ledger_name(lines: int, seed: int) -> str:
    return f"ledger-{lines}-seed{seed}-v{ledger_gen.VERSION}-r{schema_revision()}.db"


def generated_ledger(lines: int, seed: int = 1, log=print) -> Path:
    """The cached generated ledger of ``lines`` order lines, built the first time."""
    path = cache_dir() / ledger_name(lines, seed)
    if path.exists():
        log(f"ledger: reusing {path}")
        return path
    building = path.with_name(f".building-{os.getpid()}-{path.name}")
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    log(f"ledger: generating {lines:,} order lines (seed {seed}) into {path} ...")
    start = time.perf_counter()
    try:
        ledger_gen.build_ledger(building, lines, seed=seed, log=lambda text: log(f"  {text}"))
    except BaseException:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{building}{suffix}").unlink(missing_ok=True)
        raise
    # Fold any write-ahead log into the file, so the file alone is the ledger.
    with_wal = sqlite3.connect(building)
    with_wal.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with_wal.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    building.rename(path)
    log(f"ledger: ready in {time.perf_counter() - start:.0f} s")
    return path


def copy_ledger(source: Path, target: Path) -> Path:
    """A consistent single-file copy (SQLite's online backup), for benchmarks that write."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return target


def scalar(path: Path, sql: str, params: Sequence = ()):
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = connection.execute(sql, params).fetchone()
    finally:
        connection.close()
    return None if row is None else row[0]


def process_env(today: str | None = None) -> dict[str, str]:
    """The environment of every timed process: the ledger's "today", no stray ledger."""
    env = {**os.environ, "ORDERCLI_TODAY": today or TODAY.isoformat()}
    for name in ("ORDERCLI_DB", "ORDERCLI_TRACEBACK", "PYTHONPROFILEIMPORTTIME"):
        env.pop(name, None)
    return env


# -- timing -------------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    max_rss_kib: int
    returncode: int
    stdout: str
    stderr: str
    cpu_seconds: float = 0.0  # user + system, the process and the children it waited for


def run_process(
    args: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    stdout_path: Path | None = None,
    cwd: Path | None = None,
    check: bool = True,
    keep_stdout: bool = False,
) -> Run:
    """Run one process; its wall time and its own peak RSS (from ``wait4``)."""
    with tempfile.TemporaryFile() as err_file:
        out_file = (
            open(stdout_path, "wb")  # noqa: SIM115 - closed below
            if stdout_path is not None
            else tempfile.TemporaryFile()
            if keep_stdout
            else open(os.devnull, "wb")  # noqa: SIM115
        )
        try:
            start = time.perf_counter()
            process = subprocess.Popen(
                list(args), stdout=out_file, stderr=err_file, env=env or process_env(), cwd=cwd
            )
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - start
            process.returncode = os.waitstatus_to_exitcode(status)
            stdout = ""
            if keep_stdout and stdout_path is None:
                out_file.seek(0)
                stdout = out_file.read().decode("utf-8", "replace")
        finally:
            out_file.close()
        err_file.seek(0)
        stderr = err_file.read().decode("utf-8", "replace")
    if check and process.returncode != 0:
        raise SystemExit(
            f"failed (exit {process.returncode}): {' '.join(map(str, args))}\n{stderr.strip()}"
        )
    cpu = usage.ru_utime + usage.ru_stime
    return Run(seconds, usage.ru_maxrss, process.returncode, stdout, stderr, cpu)


def alternate(
    sides: Sequence[tuple[str, Callable[[], object]]], runs: int, *, warmup: bool = True
) -> dict[str, list]:
    """Each side ``runs`` times, interleaved; who goes first rotates from run to run."""
    if warmup:
        for _, measure in sides:
            measure()
    found: dict[str, list] = {name: [] for name, _ in sides}
    for run in range(runs):
        shift = run % len(sides)
        for name, measure in list(sides[shift:]) + list(sides[:shift]):
            found[name].append(measure())
    return found


def median(values) -> float:
    return statistics.median(values)


def in_process_seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


# -- results ------------------------------------------------------------------------------


@dataclass
class Figure:
    """One row of the summary: what, ordercli's figure, the anchor's, ratio, target."""

    figure: str
    ordercli: str
    anchor: str
    ratio: str
    target: str
    met: bool | None  # None: no target, or not measured
    how: str = ""


def met_text(met: bool | None) -> str:
    return {True: "yes", False: "NO", None: "-"}[met]


def print_figures(figures: Sequence[Figure], title: str = "") -> None:
    if title:
        print(f"\n{title}")
    headers = ("figure", "ordercli", "anchor", "ratio", "target", "met?")
    rows = [(f.figure, f.ordercli, f.anchor, f.ratio, f.target, met_text(f.met)) for f in figures]
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


def save_figures(figures: Sequence[Figure], path: Path | None) -> None:
    if path is not None:
        path.write_text(json.dumps([asdict(f) for f in figures], indent=2) + "\n")


def load_figures(path: Path) -> list[Figure]:
    return [Figure(**item) for item in json.loads(path.read_text())]


def base_parser(doc: str, *, runs: int = 5) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=doc.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=None, help=f"runs per side (default {runs})")
    parser.add_argument("--quick", action="store_true", help="small sizes, 2 runs: a smoke run")
    parser.add_argument("--seed", type=int, default=1, help="ledger generator seed")
    parser.add_argument("--results", type=Path, help="also write the figures as JSON here")
    parser.set_defaults(default_runs=runs)
    return parser


def finish_args(args: argparse.Namespace) -> argparse.Namespace:
    if args.runs is None:
        args.runs = 2 if args.quick else args.default_runs
    return args


def python_pass_run(env: dict[str, str] | None = None) -> float:
    return run_process([PYTHON, "-c", "pass"], env=env).seconds


def work_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"ordercli-{prefix}-"))


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


# -- profiles -----------------------------------------------------------------------------

CLI_CODE = """
import sys
sys.argv = ["ordercli", *{argv!r}]
from ordercli.cli.app import main
try:
    main()
except SystemExit:
    pass
"""

PROFILE_CODE = """
import cProfile, pstats, sys
sys.argv = ["ordercli", *{argv!r}]
profiler = cProfile.Profile()
profiler.enable()
try:
    from ordercli.cli.app import main
    main()
except SystemExit:
    pass
finally:
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stderr)
    sys.stderr.write("\\n@@PROFILE@@\\n")
    stats.sort_stats({sort!r}).print_stats({top})
"""


@dataclass
class ImportTime:
    self_us: int
    cumulative_us: int
    depth: int
    name: str


def import_times(argv: Sequence[str], env: dict[str, str] | None = None) -> list[ImportTime]:
    """``python -X importtime`` of ``ordercli ARGV`` (as the console script runs it)."""
    done = run_process(
        [PYTHON, "-X", "importtime", "-c", CLI_CODE.format(argv=list(argv))], env=env, check=False
    )
    found = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:") :].split("|")
        stripped = name.rstrip()
        depth = (len(stripped) - len(stripped.lstrip()) - 1) // 2
        found.append(ImportTime(int(self_us), int(cumulative_us), depth, stripped.strip()))
    return found


def package_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "ordercli":
        return ".".join(parts[:3])
    return parts[0]


def import_summary(argv: Sequence[str], env=None, top: int = 10) -> str:
    """The biggest imports of one command: by package (own time) and by direct import."""
    times = import_times(argv, env)
    total = sum(t.self_us for t in times)
    by_package: dict[str, int] = {}
    counts: dict[str, int] = {}
    for t in times:
        key = package_of(t.name)
        by_package[key] = by_package.get(key, 0) + t.self_us
        counts[key] = counts.get(key, 0) + 1
    lines = [
        f"-X importtime of `ordercli {' '.join(argv)}`: {len(times)} modules, "
        f"{total / 1000:.0f} ms of imports in all"
    ]
    lines.append("  by package (own import time, summed):")
    for key, us in sorted(by_package.items(), key=lambda item: -item[1])[:top]:
        lines.append(f"    {us / 1000:7.1f} ms  {key} ({counts[key]} modules)")
    lines.append("  biggest imports as the program asks for them (cumulative):")
    first_level = [t for t in times if t.depth == 0]
    for t in sorted(first_level, key=lambda t: -t.cumulative_us)[:top]:
        lines.append(f"    {t.cumulative_us / 1000:7.1f} ms  {t.name}")
    return "\n".join(lines)


def cli_profile(argv: Sequence[str], env=None, *, top: int = 25, sort: str = "cumulative") -> str:
    """cProfile of one whole ``ordercli ARGV`` run in a fresh interpreter (imports included)."""
    done = run_process(
        [PYTHON, "-c", PROFILE_CODE.format(argv=list(argv), sort=sort, top=top)],
        env=env,
        check=False,
    )
    text = done.stderr.split("@@PROFILE@@", 1)[-1]
    return trim_profile(text)


def trim_profile(text: str) -> str:
    """pstats output with file paths shortened to the package-relative part."""
    out = []
    for line in text.strip("\n").splitlines():
        line = re.sub(r"\S*/site-packages/", "", line)
        line = line.replace(str(ROOT) + "/", "")
        line = re.sub(r"\S*/lib/python3\.\d+/", "", line)
        out.append(line.rstrip())
    return "\n".join(out)


def profile_call(fn: Callable[[], object], *, top: int = 20, sort: str = "tottime") -> str:
    """cProfile of one in-process call."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        fn()
    finally:
        profiler.disable()
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats(sort).print_stats(top)
    return trim_profile(stream.getvalue())


TRACE_CODE = """
import json, sys, time
from sqlalchemy import event
from sqlalchemy.engine import Engine

found = []


@event.listens_for(Engine, "before_cursor_execute")
def _before(conn, cursor, statement, parameters, context, executemany):
    conn.info["bench_started"] = time.perf_counter()


@event.listens_for(Engine, "after_cursor_execute")
def _after(conn, cursor, statement, parameters, context, executemany):
    seconds = time.perf_counter() - conn.info.pop("bench_started")
    params = list(parameters) if isinstance(parameters, (list, tuple)) and not executemany else []
    found.append([statement, [p if isinstance(p, (int, float, str)) else str(p) for p in params],
                  seconds, executemany])


sys.argv = ["ordercli", *{argv!r}]
from ordercli.cli.app import main
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
sys.stderr.write("@@TRACE@@" + json.dumps({{"exit": code, "statements": found}}))
"""


@dataclass
class Statement:
    sql: str
    params: list
    seconds: float
    executemany: bool


def sql_trace(argv: Sequence[str], env=None) -> list[Statement]:
    """Every SQL statement one ``ordercli ARGV`` run sends, with its time."""
    done = run_process([PYTHON, "-c", TRACE_CODE.format(argv=list(argv))], env=env, check=False)
    head, _, tail = done.stderr.partition("@@TRACE@@")
    report = json.loads(tail) if tail else {"exit": done.returncode}
    if report["exit"] != 0:
        raise SystemExit(f"`ordercli {' '.join(argv)}` failed:\n{head[-2000:]}")
    return [Statement(*item) for item in report["statements"]]


def replay_reads(ledger: Path, statements: Sequence[Statement]) -> list[Statement]:
    """The reads of a trace run again to the last row on ``ledger``, timed.

    SQLite does much of a query's work while its rows are fetched, after the
    cursor event a trace sees, so read times come from this replay (warm cache).
    """
    found = []
    connection = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    try:
        for statement in statements:
            text = statement.sql.lstrip().upper()
            if statement.executemany or not text.startswith(("SELECT", "WITH")):
                continue
            start = time.perf_counter()
            connection.execute(statement.sql, statement.params).fetchall()
            seconds = time.perf_counter() - start
            found.append(Statement(statement.sql, statement.params, seconds, False))
    finally:
        connection.close()
    return found


def explain_trace(ledger: Path, argv: Sequence[str], env=None, *, top: int = 5) -> str:
    """The slowest reads of one run (replayed to the last row), each with SQLite's plan."""
    statements = sql_trace(argv, env)
    reads = replay_reads(ledger, statements)
    total = sum(s.seconds for s in reads)
    lines = [
        f"`ordercli {' '.join(argv[2:] if argv[:1] == ['--db'] else argv)}`: "
        f"{len(statements)} statements, {len(reads)} reads taking {total * 1000:.1f} ms"
    ]
    connection = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    try:
        for statement in sorted(reads, key=lambda s: -s.seconds)[:top]:
            text = " ".join(statement.sql.split())
            lines.append(f"  {statement.seconds * 1000:8.2f} ms  {text[:160]}")
            plan = connection.execute("EXPLAIN QUERY PLAN " + statement.sql, statement.params)
            for row in plan:
                lines.append(f"               plan: {row[3]}")
    finally:
        connection.close()
    return "\n".join(lines)
