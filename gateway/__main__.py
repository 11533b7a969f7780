"""`python -m gateway ...` is the same as the `cangw` command."""

from gateway.cli import main

main()
