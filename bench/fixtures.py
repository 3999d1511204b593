"""Archive files in the seed format (README "The archive format") for the benchmark's sites.

The benchmark builds its sites the way an owner would, through ``blogengine seed``: a post
with 11 comments, one with 2,000, one with 10,000, and a site of 10,000 posts.

    python -m bench.fixtures FOLDER --posts 10000 --comments-each 1
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

PARAGRAPHS = [
    "The committee met on a grey morning and talked, for the most part, about the weather.",
    "Later the chairman read a long letter from a reader who had kept every issue since 1952.",
    "Nobody could say afterwards who had proposed the motion, but it carried by a wide margin.",
]


def comment_text(post: int, number: int) -> str:
    """A plausible two-line comment, unique per post and number (the duplicate filter)."""
    return (
        f"Comment {number} on article {post}: I read this twice and still have questions.\n"
        f"Mostly about the second paragraph, and about number {number * 7 % 1000}."
    )


def article(title: str, post: int, comments: int) -> str:
    """One archive file's text: title, body paragraphs, signature, then the comments."""
    lines = [title, "", *PARAGRAPHS, "— The Editor", ""]
    lines.append(f"{comments} comments on “{title}”")
    for number in range(1, comments + 1):
        lines += ["", f"  {number}. Reader {number % 211} says:", ""]
        lines += [f"    {line}" for line in comment_text(post, number).splitlines()]
    return "\n".join(lines) + "\n"


def write_posts(folder: Path, sizes: Sequence[tuple[str, int]], *, first: int = 0) -> list[Path]:
    """One file per (title, number of comments); returns the paths, in order."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for offset, (title, comments) in enumerate(sizes):
        path = folder / f"{first + offset:06d}.txt"
        path.write_text(article(title, first + offset, comments), encoding="utf-8")
        paths.append(path)
    return paths


def write_many(folder: Path, posts: int, comments_each: int) -> list[Path]:
    """A site of ``posts`` articles (the index at size)."""
    return write_posts(folder, [(f"Archived article {n}", comments_each) for n in range(posts)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fixtures", description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--posts", type=int, default=10)
    parser.add_argument("--comments-each", type=int, default=11)
    args = parser.parse_args(argv)
    paths = write_many(args.folder, args.posts, args.comments_each)
    print(f"wrote {len(paths)} files to {args.folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
