"""The reader's comment form (Flask-WTF: CSRF, validation, and every field kept on error)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Email, Optional, Regexp, ValidationError

from ..rendering import CONTROL_CHARACTERS
from .names import clean_name
from .reader_fields import PostBoundCSRF

#: A WTForms inline validator: raises ValidationError, else the field is fine.
Validator = Callable[[FlaskForm, Field], None]

BAD_WEBSITE = "Please give a web address starting with http:// or https://."
SUBMISSION_KEY_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"
#: The "email me replies" checkbox's name (mail/notify.py reads it from the draft's fields).
NOTIFY_REPLIES_FIELD = "notify_replies"
NOTIFY_NEEDS_EMAIL = "To be told of replies, please give your email address (or untick the box)."


def _max_length(config_key: str, what: str) -> Validator:
    """A length check read from config at validation time, with a message that counts."""

    def check(_form: FlaskForm, field: Field) -> None:
        limit = current_app.config[config_key]
        length = len(field.data or "")
        if length > limit:
            raise ValidationError(
                f"{what} is {length:,} characters long; the limit is {limit:,}. "
                "Please shorten it: everything you typed is still here."
            )

    return check


def _web_address(_form: FlaskForm, field: Field) -> None:
    """Only http(s) addresses: a website link must never run script."""
    value = (field.data or "").strip()
    if not value:
        return
    has_scheme = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value) and not re.match(
        r"^[\w.-]+:\d+(/|$)", value
    )
    if not has_scheme:
        value = "https://" + value
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. "Invalid IPv6 URL" for a stray "["
        raise ValidationError(BAD_WEBSITE) from None
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ValidationError(BAD_WEBSITE)
    field.data = value


def _normalise_newlines(text: str | None) -> str | None:
    """Browsers send CRLF; a line break is one character to the reader and to the limit."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if text is not None else None


def without_controls(text: str | None) -> str | None:
    """Drop the characters no one types (see CONTROL_CHARACTERS); keep everything else."""
    return CONTROL_CHARACTERS.sub("", text) if text is not None else None


def notify_replies_ticked(fields: Mapping[str, str]) -> bool:
    """Whether raw form fields (a draft's) carry a ticked "email me replies" box."""
    return fields.get(NOTIFY_REPLIES_FIELD, "") not in BooleanField.false_values


def _needs_email(form: FlaskForm, field: Field) -> None:
    if field.data and not (form.email.data or "").strip():
        raise ValidationError(NOTIFY_NEEDS_EMAIL)


def _not_blank(message: str) -> Validator:
    def check(_form: FlaskForm, field: Field) -> None:
        # Blank also when only invisible characters remain once the name is cleaned (the
        # service cleans it before storing: see names.clean_name); the typed text stays.
        if not clean_name(field.data or "").strip():
            raise ValidationError(message)

    return check


class CommentForm(FlaskForm):
    class Meta:
        #: Signed and bound to the post and this form, not to a session (reader_fields.py):
        #: reading a post sets no cookie and the page can be cached.
        csrf_class = PostBoundCSRF

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Read only the request's text fields, never an uploaded file or a JSON body.

        Flask-WTF would also read those: a file where text belongs, or a JSON list, was a 500.
        """
        submitted = has_request_context() and request.method in ("POST", "PUT", "PATCH", "DELETE")
        if not args and "formdata" not in kwargs and submitted:
            kwargs["formdata"] = request.form
        super().__init__(*args, **kwargs)

    author = StringField(
        "Name",
        filters=[without_controls],
        validators=[
            DataRequired("Please enter your name."),
            _not_blank("Please enter your name."),
            _max_length("COMMENT_MAX_AUTHOR", "Your name"),
        ],
    )
    email = EmailField(
        "Email (optional, never shown)",
        filters=[without_controls],
        validators=[
            Optional(),
            _max_length("COMMENT_MAX_EMAIL", "The email address"),
            Email("Please check the email address, or leave it empty.", check_deliverability=False),
        ],
    )
    website = URLField(
        "Website (optional)",
        filters=[without_controls],
        validators=[
            Optional(),
            _max_length("COMMENT_MAX_WEBSITE", "The web address"),
            _web_address,
        ],
    )
    body = TextAreaField(
        "Comment",
        filters=[_normalise_newlines, without_controls],  # CR becomes "\n" before controls go
        validators=[
            DataRequired("Please write a comment."),
            _not_blank("Please write a comment."),
            _max_length("COMMENT_MAX_BODY", "Your comment"),
        ],
    )
    #: The number of the comment this one answers ("" for a new thread): a reply form is
    #: the same form, so a failed reply keeps every field and whom it answers.
    #: Checked by the view against the post's published comments, not here: an answer to a
    #: comment that is not there is refused with its own message, never a silent new thread.
    replyto = HiddenField(filters=[without_controls])
    submission_key = HiddenField(
        validators=[
            DataRequired("The form was incomplete; please send it again."),
            Regexp(SUBMISSION_KEY_PATTERN, message="The form was damaged; please send it again."),
        ]
    )
    #: Shown only when the site sends mail (MAIL_SERVER); see blogengine/mail/.
    notify_replies = BooleanField(
        "Email me replies to my comment (you will be asked to confirm)",
        validators=[_needs_email],
    )
