"""Werkzeug's multipart parser, fed a bounded body in one piece.

Werkzeug 3.1 reads a multipart body in 64 KiB chunks, and its decoder still mishandles a
part boundary that falls across two chunks: a stray CR is appended to the text before it
(pallets/werkzeug#3285, open), so a reader's comment near 64 KiB is changed or refused.
Every body this site parses is already bounded by ``MAX_CONTENT_LENGTH`` (256 KB), so
reading it in one chunk costs no more memory than the chunks would hold, and the decoder
never sees a boundary split in two.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

from werkzeug.formparser import FormDataParser, MultiPartParser

if TYPE_CHECKING:  # Werkzeug defines its result type for type checkers only
    from werkzeug.formparser import t_parse_result

#: Werkzeug's own chunk size, kept for bodies of unknown length (it reads those as before).
WERKZEUG_CHUNK = 64 * 1024


class WholeBodyFormDataParser(FormDataParser):
    """Parses a multipart body of known, bounded length in a single chunk."""

    def _parse_multipart(
        self,
        stream: IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str],
    ) -> t_parse_result:
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        chunk = WERKZEUG_CHUNK
        if content_length is not None and (
            self.max_content_length is None or content_length <= self.max_content_length
        ):
            chunk = max(WERKZEUG_CHUNK, content_length)
        parser = MultiPartParser(
            stream_factory=self.stream_factory,
            max_form_memory_size=self.max_form_memory_size,
            max_form_parts=self.max_form_parts,
            cls=self.cls,
            buffer_size=chunk,
        )
        form, files = parser.parse(stream, boundary, content_length)
        return stream, form, files
