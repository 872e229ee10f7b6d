from openchirp.core.views import ClipViews


def test_a_view_is_served_only_for_its_version() -> None:
    views = ClipViews()
    views.put("a", "v1", {"status": "streaming"})
    assert views.get("a", "v1") == {"status": "streaming"}
    assert views.get("a", "v2") is None
    views.put("a", "v2", {"status": "complete"})
    assert views.get("a", "v1") is None
    assert views.get("a", "v2") == {"status": "complete"}
    assert views.get("b", "v1") is None


def test_the_oldest_views_make_room() -> None:
    views = ClipViews(limit=10)
    for i in range(10):
        views.put(str(i), "v", {"i": i})
    views.put("0", "v", {"i": 0})  # used again: now the newest
    views.put("new", "v", {"i": 99})
    assert views.get("1", "v") is None  # the oldest went
    assert views.get("0", "v") == {"i": 0}
    assert views.get("new", "v") == {"i": 99}
