"""The desk's forms (Flask-WTF: each carries and checks a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from ..comments.forms import without_controls

#: Text fields lose control characters, as the comment form's do (PostgreSQL refuses NUL).
CLEAN = [without_controls]


class LoginForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)], filters=CLEAN)
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])


class PasswordForm(FlaskForm):
    """A new password for the signed-in owner, typed twice, after the current one."""

    current = PasswordField("Current password", validators=[DataRequired(), Length(max=1000)])
    new = PasswordField("New password", validators=[DataRequired(), Length(max=1000)])
    again = PasswordField(
        "New password again",
        validators=[DataRequired(), EqualTo("new", message="The two new passwords differ.")],
    )


class ActionForm(FlaskForm):
    """Only a CSRF token: for the desk's buttons (sign out, trash, moderate) that post."""


class PostForm(FlaskForm):
    """Writing a post. Which button was pressed (``action``) says what saving does."""

    title = StringField("Title", validators=[DataRequired(), Length(max=500)], filters=CLEAN)
    slug = StringField("Slug (the address)", validators=[Optional(), Length(max=80)], filters=CLEAN)
    body = TextAreaField("Text (Markdown)", validators=[Length(max=200_000)], filters=CLEAN)
    excerpt = TextAreaField("Excerpt", validators=[Optional(), Length(max=2000)], filters=CLEAN)
    author = StringField("Author", validators=[Optional(), Length(max=200)], filters=CLEAN)
    published_at = DateTimeLocalField(
        "Date (UTC)", format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"], validators=[Optional()]
    )
    comments_open = BooleanField("Comments open", default=True)


class ConfirmDeleteForm(FlaskForm):
    """Deleting a post for good; with comments, the owner types how many go with it."""

    comments = IntegerField("Number of comments to delete with it", validators=[Optional()])
