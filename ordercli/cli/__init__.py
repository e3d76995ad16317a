"""The command line: parse, call one service in one unit of work, render."""
