"""The baseline the benchmark compares blogengine with, served by gunicorn in the same run.

A naive Flask + Flask-SQLAlchemy + Jinja app: the same post and comments (copied from the
benchmark's site into its own tables), one page that reads them with the ORM and renders a
template, and a comment POST that inserts one row and answers 303. Plus the bare floor: the
blogengine page's very bytes, returned from memory.

    BASELINE_DB=sqlite:///... BASELINE_PAGE=page.html gunicorn bench.baseline_app:app
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, Response, abort, redirect, render_template, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import ForeignKey, String, Text, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class NaivePost(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "naive_posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    body_html: Mapped[str] = mapped_column(Text)


class NaiveComment(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "naive_comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("naive_posts.id"), index=True)
    number: Mapped[int]
    author: Mapped[str] = mapped_column(String(200))
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


def create_app() -> Flask:
    app = Flask(__name__, template_folder=str(Path(__file__).parent / "templates"))
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("BASELINE_DB", "sqlite://")
    db.init_app(app)
    page_file = os.environ.get("BASELINE_PAGE")
    page = Path(page_file).read_bytes() if page_file else b"<!doctype html><p>empty</p>"
    with app.app_context():
        db.create_all()

    @app.get("/posts/<slug>")
    def post(slug: str) -> str:
        found = db.session.scalar(select(NaivePost).where(NaivePost.slug == slug))
        if found is None:
            abort(404)
        comments = db.session.scalars(
            select(NaiveComment)
            .where(NaiveComment.post_id == found.id)
            .order_by(NaiveComment.number)
        ).all()
        return render_template("naive_post.html", post=found, comments=comments)

    @app.post("/posts/<slug>/comments")
    def comment(slug: str) -> Response:
        found = db.session.scalar(select(NaivePost).where(NaivePost.slug == slug))
        if found is None:
            abort(404)
        number = (
            db.session.scalar(
                select(func.max(NaiveComment.number)).where(NaiveComment.post_id == found.id)
            )
            or 0
        ) + 1
        db.session.add(
            NaiveComment(
                post_id=found.id,
                number=number,
                author=request.form.get("author", ""),
                body_html=request.form.get("body", ""),
                created_at=datetime.now(UTC),
            )
        )
        db.session.commit()
        return redirect(f"/posts/{slug}#comment-{number}", code=303)  # type: ignore[return-value]

    @app.get("/memory")
    def memory() -> Response:
        """The floor: blogengine's page, the same bytes, from memory."""
        return Response(page, mimetype="text/html")

    return app


app = create_app()
