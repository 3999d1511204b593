from blogengine.comments import get_service


def test_comment_is_published(app, post, poster):
    response = poster.post(post.slug)
    assert response.status_code == 303
    page = poster.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "your comment is published" in page
    assert "A thoughtful comment." in page
    with app.app_context():
        comments = get_service().store.list_for_post(post.uid)
    assert [c.author for c in comments] == ["Ada"]
