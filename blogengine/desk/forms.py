"""The desk's forms (Flask-WTF: each carries and checks a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])
    submit = SubmitField("Sign in")


class SignOutForm(FlaskForm):
    """Only the CSRF token: signing out is a POST no other site can make for the owner."""

    submit = SubmitField("Sign out")
