"""Start-up: `ordercli --help`, `version` and `order show` against `python -c pass`.

Whole processes, as a user meets them at the terminal: the `ordercli` console
script against the same interpreter doing nothing (`python -c pass`), run
alternating, `--runs` times each; medians and the ratio to `python -c pass`.
`order show` reads one order of a generated 10,000-line ledger.

Targets (issue 7): `--help` within 12x `python -c pass`; `order show` within
45x (the lookup target, see lookup_bench.py). Then `python -X importtime` says
which imports cost most for `--help` and for `order show`, and `--profile`
adds a cProfile of each whole run (imports and building the command tree
included).

    .venv/bin/python bench/startup_bench.py [--runs 5] [--quick] [--profile]
"""

from __future__ import annotations

import sys

import benchlib
from benchlib import ORDERCLI, PYTHON, Figure, median, run_process

HELP_TARGET = 12.0
SHOW_TARGET = 45.0


def main(argv: list[str] | None = None) -> list[Figure]:
    parser = benchlib.base_parser(__doc__)
    parser.add_argument("--lines", type=int, default=10_000, help="ledger for order show")
    parser.add_argument("--profile", action="store_true", help="cProfile each command once")
    args = benchlib.finish_args(parser.parse_args(argv))
    env = benchlib.process_env()
    ledger = benchlib.generated_ledger(args.lines, args.seed)
    order = "SO-00001"
    show = ["--db", str(ledger), "order", "show", order]
    commands = {
        "python -c pass": [PYTHON, "-c", "pass"],
        "ordercli --help": [ORDERCLI, "--help"],
        "ordercli version": [ORDERCLI, "version"],
        f"ordercli order show {order}": [ORDERCLI, *show],
    }
    sides = [
        (name, lambda command=command: run_process(command, env=env).seconds)
        for name, command in commands.items()
    ]
    times = benchlib.alternate(sides, args.runs)
    base = median(times["python -c pass"])
    print(
        f"\nstart-up, whole process, medians of {args.runs} alternating runs "
        f"(order show on {args.lines:,} lines):"
    )
    figures = []
    for name, values in times.items():
        value = median(values)
        ratio = value / base
        print(
            f"  {name:34s} {value * 1000:7.1f} ms   {ratio:5.1f}x python -c pass"
            f"   (runs: {', '.join(f'{v * 1000:.0f}' for v in values)} ms)"
        )
        if name == "python -c pass":
            continue
        target = {"ordercli --help": HELP_TARGET}.get(name)
        if name.startswith("ordercli order show"):
            target = SHOW_TARGET
        figures.append(
            Figure(
                figure=f"start-up: {name.removeprefix('ordercli ')}",
                ordercli=benchlib.ms(value),
                anchor=f"python -c pass {benchlib.ms(base)}",
                ratio=f"{ratio:.1f}x",
                target=f"<= {target:g}x" if target else "-",
                met=(ratio <= target) if target else None,
                how=f"bench/startup_bench.py, whole process, median of {args.runs}",
            )
        )

    print()
    for command in (["--help"], show):
        print(benchlib.import_summary(command, env))
        print()
    if args.profile:
        for command in (["--help"], show):
            print(f"== cProfile of the whole `ordercli {' '.join(command)}` (cumulative)")
            print(benchlib.cli_profile(command, env, top=30))
            print()
    benchlib.print_figures(figures)
    benchlib.save_figures(figures, args.results)
    return figures


if __name__ == "__main__":
    main()
    sys.exit(0)
