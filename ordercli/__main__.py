"""`python -m ordercli`: the same command line as the `ordercli` script."""

from ordercli.cli.app import main

if __name__ == "__main__":
    main()
