"""`python -m kbgen.api.cli_main …` runs the `kbgen api` group on its own (benchmark, CI)."""
from .cli import api

if __name__ == "__main__":
    api()
