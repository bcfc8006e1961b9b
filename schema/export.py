"""Export the SDL to schema/schema.graphql: `python -m schema.export [--check]`."""

from __future__ import annotations

import sys
from pathlib import Path

from schema import build_schema

SDL_PATH = Path(__file__).with_name("schema.graphql")


def sdl() -> str:
    return str(build_schema()).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = sdl()
    if "--check" in args:
        if not SDL_PATH.exists() or SDL_PATH.read_text() != text:
            print(f"{SDL_PATH} is out of date: run `python -m schema.export`.", file=sys.stderr)
            return 1
        return 0
    SDL_PATH.write_text(text)
    print(f"wrote {SDL_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
