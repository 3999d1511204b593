"""Posts: the service the desk and `blogengine posts` share (``posts.service``)."""
