"""What a reader sees: the index, the post page, its comments and form, and the error pages."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import CommentPoster, PostInfo, add_comment, add_post

from blogengine.comments import get_service
from blogengine.comments.contracts import Status, StoreError

TITLE = "Hillary Mann Leverett: America Loses Another Bit of Leverage with Iran"


def page_text(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def index_titles(page: str) -> list[str]:
    """The post titles an index page lists, in order."""
    found = re.findall(r'<h2 class="post-summary-title"><a href="[^"]+">([^<]*)</a>', page)
    return [html.unescape(title) for title in found]


def summaries(page: str) -> dict[str, str]:
    """Each listed post's <article> markup, by title."""
    articles = re.findall(r'<article class="post-summary">.*?</article>', page, re.S)
    return {index_titles(a)[0]: a for a in articles}


def visible_text(markup: str) -> str:
    """Roughly what a reader reads: tags dropped, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", markup))).strip()


def when(year: int, month: int = 1, day: int = 1) -> datetime:
    return datetime(year, month, day, 12, 0, tzinfo=UTC)


# -- the index ----------------------------------------------------------------------------


def test_index_lists_newest_first_and_undated_posts_by_when_they_were_added(app, client):
    add_post(app, "Oldest", "oldest", published_at=when(2008, 12, 8))
    add_post(app, "Newest dated", "newest", published_at=when(2010, 3, 1))
    add_post(app, "Undated", "undated")  # added now: newer than any dated post
    add_post(app, "Middle", "middle", published_at=when(2009, 6, 15))

    page = page_text(client, "/")

    assert index_titles(page) == ["Undated", "Newest dated", "Middle", "Oldest"]
    listed = summaries(page)
    assert '<time datetime="2008-12-08T12:00:00Z">8 December 2008</time>' in listed["Oldest"]
    assert "<time" not in listed["Undated"], "a post with no date shows none"
    assert 'href="/posts/oldest"' in listed["Oldest"]


def test_index_shows_byline_excerpt_and_comment_counts_in_words(app, client):
    guest = add_post(
        app,
        TITLE,
        "guest",
        author="Hillary Mann Leverett",
        publication="The Washington Note",
        paragraphs=["The excerpt's first words.", "More."],
    )
    single = add_post(app, "One reply", "single", author="Steve")
    add_post(app, "Quiet", "quiet")
    for n in range(11):
        add_comment(app, guest.uid, author=f"Reader {n}")
    add_comment(app, single.uid)
    add_comment(app, single.uid, author="Held back", status=Status.PENDING)

    listed = {t: visible_text(a) for t, a in summaries(page_text(client, "/")).items()}

    assert "A guest post by Hillary Mann Leverett for The Washington Note" in listed[TITLE]
    assert "The excerpt's first words." in listed[TITLE]
    assert "11 comments" in listed[TITLE]
    assert "By Steve" in listed["One reply"]
    assert "1 comment on" in listed["One reply"], "pending comments are not counted"
    assert "No comments yet" in listed["Quiet"]


def test_index_pages_ten_posts_at_a_time_with_older_and_newer_links(app, client):
    for n in range(1, 24):
        add_post(app, f"Post {n:02}", f"post-{n}", published_at=when(2020) + timedelta(days=n))

    first = page_text(client, "/")
    second = page_text(client, "/?page=2")
    third = page_text(client, "/?page=3")

    assert index_titles(first) == [f"Post {n:02}" for n in range(23, 13, -1)]
    assert index_titles(second) == [f"Post {n:02}" for n in range(13, 3, -1)]
    assert index_titles(third) == ["Post 03", "Post 02", "Post 01"]

    older = '<a class="older" rel="next" href="/?page={}">Older posts'
    newer = '<a class="newer" rel="prev" href="{}">'
    assert older.format(2) in first
    assert 'class="newer"' not in first
    assert older.format(3) in second
    assert newer.format("/") in second, "page 1 is the plain index"
    assert newer.format("/?page=2") in third
    assert 'class="older"' not in third
    assert "<title>Older posts, page 3 · blogengine</title>" in third
    assert '<link rel="next" href="/?page=2">' in first


def test_index_pages_by_keyset_hold_every_post_once_in_order_and_follow_changes(app, client):
    """Pages start at a kept sort key (time, id): ties in time, undated posts, a new post."""
    app.config["POSTS_PER_PAGE"] = 3
    for n in range(4):  # four posts at the very same time: the id breaks the tie
        add_post(app, f"Tied {n}", f"tied-{n}", published_at=when(2021))
    for n in range(3):
        add_post(app, f"Dated {n}", f"dated-{n}", published_at=when(2017 + n, 6))
    add_post(app, "Undated", "undated")

    def all_pages() -> list[str]:
        titles, page = [], 1
        while True:
            response = client.get(f"/?page={page}" if page > 1 else "/")
            if response.status_code == 404:
                return titles
            titles += index_titles(response.get_data(as_text=True))
            page += 1

    expected = ["Undated", "Tied 3", "Tied 2", "Tied 1", "Tied 0", "Dated 2", "Dated 1", "Dated 0"]
    assert all_pages() == expected
    add_post(app, "Newer still", "newer", published_at=when(2022))  # the site stamp moves
    assert all_pages() == ["Undated", "Newer still", *expected[1:]]


def test_index_past_the_last_page_is_a_404_in_the_site_layout(app, client):
    for n in range(3):
        add_post(app, f"Post {n}", f"post-{n}")
    page = page_text(client, "/?page=2", status=404)
    assert "Page not found" in page
    assert 'href="/static/site.css"' in page
    page_text(client, "/?page=-1", status=404)


def test_posts_per_page_comes_from_config(app, client):
    app.config["POSTS_PER_PAGE"] = 2
    for n in range(3):
        add_post(app, f"Post {n}", f"post-{n}", published_at=when(2020 + n))
    assert index_titles(page_text(client, "/")) == ["Post 2", "Post 1"]
    assert index_titles(page_text(client, "/?page=2")) == ["Post 0"]


def test_an_empty_blog_says_so_kindly(client):
    page = page_text(client, "/")
    assert "There are no posts yet" in page
    assert 'class="pagination"' not in page


# -- the post page ------------------------------------------------------------------------


@pytest.fixture
def guest_post(app: Flask) -> PostInfo:
    """The archived guest post, with its image missing and its signature."""
    return add_post(
        app,
        TITLE,
        "leverett-mek",
        author="Hillary Mann Leverett",
        publication="The Washington Note",
        image_name="hillary mann leverett.jpg",
        image_alt="Hillary Mann Leverett",
        signature="— Hillary Mann Leverett",
        published_at=when(2008, 12, 8),
        paragraphs=["Monday’s news that the Iraqi government…", "In 2003, the Bush…"],
    )


def test_post_page_shows_title_byline_paragraphs_and_signature(client, guest_post):
    page = page_text(client, f"/posts/{guest_post.slug}")

    assert f"<h1>{TITLE}</h1>" in page
    assert f"<title>{TITLE} · blogengine</title>" in page
    byline = re.search(r'<p class="byline">.*?</p>', page, re.S)
    assert byline is not None
    assert visible_text(byline.group(0)).startswith(
        "A guest post by Hillary Mann Leverett for The Washington Note"
    )
    assert "<p>Monday’s news that the Iraqi government…</p><p>In 2003, the Bush…</p>" in page
    assert '<p class="signature">— Hillary Mann Leverett</p>' in page
    assert 'href="/posts/leverett-mek/comments.atom"' in page


def test_a_post_without_a_publication_is_by_its_author(app, client):
    add_post(app, "Plain", "plain", author="Steve Clemons")
    page = page_text(client, "/posts/plain")
    assert '<p class="byline">By <span class="author">Steve Clemons</span></p>' in page
    assert "guest post" not in page


def test_a_missing_archive_image_is_a_captioned_placeholder_not_a_broken_img(client, guest_post):
    page = page_text(client, f"/posts/{guest_post.slug}")

    figure = re.search(r'<figure class="post-image image-missing">.*?</figure>', page, re.S)
    assert figure is not None
    assert '<p class="image-alt">Hillary Mann Leverett</p>' in figure.group(0)
    assert (
        "<figcaption>Image not preserved in the archive: hillary mann leverett.jpg</figcaption>"
        in figure.group(0)
    )
    assert "<img" not in page


def test_an_archive_image_that_exists_in_uploads_is_shown(app, client, guest_post, tmp_path):
    static = tmp_path / "static"
    (static / "uploads").mkdir(parents=True)
    (static / "uploads" / "hillary mann leverett.jpg").write_bytes(b"\xff\xd8\xff\xe0 jpeg")
    app.static_folder = str(static)

    page = page_text(client, f"/posts/{guest_post.slug}")

    img = '<img src="/static/uploads/hillary%20mann%20leverett.jpg" alt="Hillary Mann Leverett">'
    assert img in page
    assert "Image not preserved" not in page
    assert client.get("/static/uploads/hillary%20mann%20leverett.jpg").status_code == 200


def test_an_image_name_cannot_reach_outside_uploads(app, client, tmp_path):
    static = tmp_path / "static"
    (static / "uploads").mkdir(parents=True)
    (static / "secret.jpg").write_bytes(b"not for you")
    app.static_folder = str(static)
    add_post(app, "Sneaky", "sneaky", image_name="../secret.jpg", image_alt="x")

    page = page_text(client, "/posts/sneaky")

    assert "<img" not in page
    assert "Image not preserved in the archive: ../secret.jpg" in page


def test_comments_are_numbered_with_anchors_and_say_who_said_what(app, client, guest_post):
    add_comment(
        app,
        guest_post.uid,
        author="Everything will be Utopic is myopic",
        body="What a wild world we live in.\nSecond line.",
        website="https://utopic.example/blog",
        email="utopic@example.org",
    )
    add_comment(app, guest_post.uid, author="Held back", body="Not yet.", status=Status.PENDING)
    add_comment(app, guest_post.uid, author="Ada", body="Quite so.", email="ada@example.org")

    page = page_text(client, f"/posts/{guest_post.slug}")

    assert f"2 comments on “{TITLE}”" in page
    items = re.findall(r'<li id="comment-(\d+)"[^>]*>(.*?)</li>', page, re.S)
    # The held comment has no number yet (numbers are given on publish): no gap shows.
    assert [number for number, _ in items] == ["1", "2"], "the store's numbers, in order"
    first, third = items[0][1], items[1][1]
    assert '<a class="comment-number" href="#comment-1">' in first
    assert visible_text(first).startswith("Comment 1 Everything will be Utopic is myopic says:")
    assert (
        '<a href="https://utopic.example/blog" rel="nofollow ugc noopener">'
        "Everything will be Utopic is myopic</a> says:" in first
    )
    assert "<p>What a wild world we live in.<br>Second line.</p>" in first
    assert '<p class="comment-author">Ada says:</p>' in third
    third_author = third.split("comment-author", 1)[1].split("</p>", 1)[0]
    assert "<a href" not in third_author, "no website, no link"
    assert "Not yet." not in page, "pending comments are not public"
    assert "utopic@example.org" not in page
    assert "ada@example.org" not in page


@pytest.mark.parametrize(
    ("count", "heading"),
    [(0, "No comments yet on “Quiet”"), (1, "1 comment on “Quiet”")],
)
def test_comment_heading_says_zero_and_one_in_words(app, client, count, heading):
    post = add_post(app, "Quiet", "quiet")
    for _ in range(count):
        add_comment(app, post.uid)
    assert f'<h2 id="comments-title">{heading}</h2>' in page_text(client, "/posts/quiet")


def test_what_readers_typed_is_shown_as_text_never_run(app, client, post):
    add_comment(
        app,
        post.uid,
        author="<b>x</b>",
        body="<script>alert(1)</script>",
        website="javascript:alert(2)",  # never accepted by the form; an old import might have it
    )

    page = page_text(client, f"/posts/{post.slug}")

    assert "&lt;b&gt;x&lt;/b&gt; says:" in page
    assert "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>" in page
    assert "<script" not in page
    assert "<b>x</b>" not in page
    assert "javascript:" not in page


def test_pages_use_no_inline_style_or_script_and_label_every_input(app, client, guest_post):
    add_comment(app, guest_post.uid)
    for url in ("/", f"/posts/{guest_post.slug}", "/no-such-page"):
        page = client.get(url).get_data(as_text=True)
        assert '<html lang="en">' in page
        assert '<a class="skip-link" href="#content">Skip to content</a>' in page
        assert '<main id="content"' in page
        assert not re.search(r"<script|<style|\sstyle=|\son[a-z]+=", page), url

    page = page_text(client, f"/posts/{guest_post.slug}")
    ids = re.findall(r'<(?:input|textarea)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', page)
    assert {"author", "email", "website", "body", "captcha_answer"} <= set(ids)
    for input_id in ids:
        assert f'<label for="{input_id}">' in page, input_id


def test_the_form_has_its_labels_hint_and_posts_to_the_comment_view(client, post):
    page = page_text(client, f"/posts/{post.slug}")

    form = re.search(r'<section id="respond".*?</form>', page, re.S)
    assert form is not None
    markup = form.group(0)
    assert f'action="/posts/{post.slug}/comments#respond"' in markup
    text = visible_text(markup)
    for label in ("Name *", "Email (optional, never shown)", "Website (optional)", "Comment *"):
        assert label in text, label
    assert '<button type="submit">Post comment</button>' in markup
    assert 'aria-describedby="body-hint"' in markup
    assert "line breaks are kept" in markup
    assert 'name="csrf_token"' in markup
    assert 'name="submission_key"' in markup
    assert '<div class="hp" aria-hidden="true">' in markup, "the honeypot is rendered"


def test_a_problem_is_announced_and_each_error_sits_by_its_field(
    client, post, poster: CommentPoster
):
    typed = "Line one\n\n  indented <em>line</em> & more\n"
    response = poster.post(post.slug, author="  ", email="not-an-email", body=typed)
    page = response.get_data(as_text=True)

    assert response.status_code == 422
    assert page.count("<title>Problem: ") == 1
    assert re.search(r'<div class="problem" role="alert">\s*<p><strong>Problem:</strong> ', page)
    author = re.search(r"<input[^>]*\bid=\"author\"[^>]*>", page)
    assert author is not None
    assert 'aria-invalid="true"' in author.group(0)
    assert 'aria-describedby="author-error"' in author.group(0)
    assert '<p class="field-error" id="author-error">Please enter your name.</p>' in page
    assert 'id="email-error">Please check the email address' in page
    body = re.search(r"<textarea[^>]*>\r?\n(.*?)</textarea>", page, re.S)
    assert body is not None
    assert html.unescape(body.group(1)) == typed, "the textarea keeps the text exactly"


def test_after_posting_the_reader_is_told_with_a_status_message(client, post, poster):
    response = poster.post(post.slug)
    page = page_text(client, response.headers["Location"])
    notice = re.search(r'<p class="notice notice-published" role="status">(.*?)</p>', page)
    assert notice is not None
    assert "published" in notice.group(1)
    assert '<li id="comment-1"' in page


def captcha_group(page: str) -> str:
    """The CAPTCHA's fieldset, from its opening tag to its end."""
    group = re.search(r"<fieldset[^>]*>.*?</fieldset>", page, re.S)
    assert group is not None, "the CAPTCHA is not grouped in a fieldset"
    return group.group(0)


def test_the_captcha_is_a_required_group_named_by_its_legend(client, post):
    group = captcha_group(page_text(client, f"/posts/{post.slug}"))
    assert group.startswith('<fieldset class="field captcha">')
    legend = re.search(r"<legend>(.*?)</legend>", group, re.S)
    assert legend is not None
    assert visible_text(legend.group(1)) == "One question to show you are a person * (required)"
    assert 'name="captcha_answer"' in group and '<label for="captcha_answer">' in group
    assert "aria-describedby" not in group.split(">", 1)[0], "no error to describe yet"


@pytest.mark.parametrize(
    ("app_config", "legend"),
    [
        ({"COMMENTS_CAPTCHA": "math"}, "One question to show you are a person"),
        ({"COMMENTS_CAPTCHA": "altcha"}, "A check that you are a person"),
    ],
)
def test_the_legend_fits_the_captcha(client, post, legend):
    """A widget that does its check without a question is not called "one question"."""
    group = captcha_group(page_text(client, f"/posts/{post.slug}"))
    found = re.search(r"<legend>(.*?)</legend>", group, re.S)
    assert found is not None
    assert visible_text(found.group(1)) == f"{legend} * (required)"


@pytest.mark.parametrize(
    ("app_config", "prompt"),
    [
        ({}, "Please answer the question again."),  # the tests' `fixed`: the same question
        ({"COMMENTS_CAPTCHA": "math"}, "Please answer this new question."),
    ],
)
def test_a_wrong_captcha_answer_is_announced_with_its_group(client, post, poster, prompt):
    response = poster.post(post.slug, captcha_answer="robot")
    assert response.status_code == 422
    group = captcha_group(response.get_data(as_text=True))
    opening = group.split(">", 1)[0] + ">"
    assert 'class="field captcha has-error"' in opening
    assert 'aria-describedby="captcha-error"' in opening
    assert f'<p class="field-error" id="captcha-error">{prompt}</p>' in group
    assert group.index("</legend>") < group.index('id="captcha-error"') < group.index("<input")


@pytest.mark.parametrize("app_config", [{"COMMENTS_CAPTCHA": "none"}])
def test_without_a_captcha_there_is_no_empty_group(client, post):
    page = page_text(client, f"/posts/{post.slug}")
    assert "<fieldset" not in page and "<legend" not in page
    assert 'name="body"' in page


class TestModeratedSite:
    @pytest.fixture
    def app_config(self) -> dict[str, object]:
        return {"COMMENTS_MODERATE_ALL": True}

    def test_the_reader_sees_their_comment_awaiting_moderation_above_the_form(
        self, client, post, poster
    ):
        response = poster.post(post.slug, body="Hold me\nfor a while")
        page = page_text(client, response.headers["Location"])

        pending = re.search(r'<div id="your-comment".*?</div>\s*</div>', page, re.S)
        assert pending is not None
        assert "Awaiting moderation" in pending.group(0)
        assert "<p>Hold me<br>for a while</p>" in pending.group(0)
        assert page.index('id="your-comment"') < page.index("<form")
        assert '<p class="notice notice-pending" role="status">' in page
        assert "No comments yet" in page, "not public yet"


def test_closed_comments_say_so_instead_of_a_form(app, client):
    add_post(app, "Closed", "closed", comments_open=False)
    page = page_text(client, "/posts/closed")
    assert '<p class="closed">Comments are closed.</p>' in page
    assert "<form" not in page


def test_an_unknown_post_is_a_404_in_the_site_layout(client):
    page = page_text(client, "/posts/no-such-post", status=404)
    assert "<h1>Page not found</h1>" in page
    assert 'href="/"' in page


def test_unreadable_comments_are_a_503_that_still_shows_the_post(app, client, post, monkeypatch):
    def broken(*args: object, **kwargs: object) -> None:
        raise StoreError("disk on fire")

    store = get_service(app).store
    monkeypatch.setattr(store, "list_threads", broken)
    page = page_text(client, f"/posts/{post.slug}", status=503)
    assert "The comments could not be loaded just now" in page
    assert "First paragraph." in page

    monkeypatch.setattr(store, "count_for_posts", broken)
    page = page_text(client, "/", status=503)
    assert "Temporarily unavailable" in page
    assert "disk on fire" not in page


def test_the_stylesheet_is_served_and_made_for_reading(client):
    response = client.get("/static/site.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    css = response.get_data(as_text=True)
    assert "prefers-color-scheme: dark" in css
    assert ":focus-visible" in css
    assert re.search(r"\.hp\s*\{[^}]*left:\s*-10000px", css), "honeypot moved off-screen"
    assert not re.search(r"\.hp\s*\{[^}]*display:\s*none", css), "bots skip display:none"
    assert "ch;" in css, "the measure is set in characters"


@pytest.mark.parametrize("page", ["1000001", "9223372036854775807", "99999999999999999999"])
def test_an_absurd_page_number_is_a_404_not_a_500(client: FlaskClient, page: str) -> None:
    assert client.get(f"/?page={page}").status_code == 404


def test_pages_with_the_form_are_never_cached_for_others(client: FlaskClient, post) -> None:
    # Only the reader's own browser may keep it (and must ask again): the form is theirs.
    response = client.get(f"/posts/{post.slug}")
    assert response.headers["Cache-Control"] == "private, no-cache"
    # With a notice in the session the page is for this reader alone, kept nowhere.
    with client.session_transaction() as session:
        session["_flashes"] = [("published", "Thank you: your comment is published.")]
    response = client.get(f"/posts/{post.slug}")
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "your comment is published" in response.get_data(as_text=True)


def test_an_unexpected_error_gets_the_site_s_500_page(app: Flask, monkeypatch) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    from blogengine import blog

    def explode(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(blog, "_render_index", explode)
    response = app.test_client().get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
