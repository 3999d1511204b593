"""One page of a post's comments as nested threads, to a configurable depth. No Flask here.

The store gives a page of whole threads in number order (``CommentStore.list_threads``);
this turns it into the tree the page shows. A reply nests under its parent until
``max_depth``; deeper replies attach at the last level beside their parent and still say
whom they answer. A reply whose parent is not shown (removed by the owner after it was
answered) is shown at the top level, saying it answers a comment no longer shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .contracts import StoredComment


@dataclass
class ThreadNode:
    """A comment as the page shows it: its depth, whom it answers and its shown replies."""

    comment: StoredComment
    depth: int
    #: The comment it answers (None for a top-level comment or a parent not shown).
    parent: StoredComment | None = None
    #: True when it answers a comment that is no longer shown.
    parent_missing: bool = False
    replies: list[ThreadNode] = field(default_factory=list)


def build_threads(comments: Iterable[StoredComment], max_depth: int) -> list[ThreadNode]:
    """The top-level nodes of ``comments`` (given in number order), replies nested."""
    max_depth = max(1, max_depth)
    nodes: dict[str, ThreadNode] = {}
    parents: dict[str, ThreadNode | None] = {}  # where each node is shown (None: top level)
    top: list[ThreadNode] = []
    for comment in comments:
        parent_node = nodes.get(comment.parent_id or "")
        if parent_node is None:
            node = ThreadNode(comment, 1, parent_missing=comment.parent_id is not None)
            top.append(node)
            parents[comment.id] = None
        else:
            holder: ThreadNode | None = parent_node
            if parent_node.depth >= max_depth:  # too deep: beside the parent, at its level
                holder = parents[parent_node.comment.id]
            depth = holder.depth + 1 if holder is not None else 1
            node = ThreadNode(comment, depth, parent=parent_node.comment)
            (holder.replies if holder is not None else top).append(node)
            parents[comment.id] = holder
        nodes[comment.id] = node
    return top
