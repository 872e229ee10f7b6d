import json

from openchirp.core.views import ClipViews, canonical, json_list, to_json


def clip_of(views: ClipViews, clip_id: str, version: str) -> dict | None:
    view = views.get(clip_id, version)
    return None if view is None else view.clip


def test_a_view_is_served_only_for_its_version() -> None:
    views = ClipViews()
    views.put("a", "v1", {"status": "streaming"})
    assert clip_of(views, "a", "v1") == {"status": "streaming"}
    assert views.get("a", "v2") is None
    views.put("a", "v2", {"status": "complete"})
    assert views.get("a", "v1") is None
    assert clip_of(views, "a", "v2") == {"status": "complete"}
    assert views.get("b", "v1") is None


def test_the_oldest_views_make_room() -> None:
    views = ClipViews(limit=10)
    for i in range(10):
        views.put(str(i), "v", {"i": i})
    views.put("0", "v", {"i": 0})  # used again: now the newest
    views.put("new", "v", {"i": 99})
    assert views.get("1", "v") is None  # the oldest went
    assert clip_of(views, "0", "v") == {"i": 0}
    assert clip_of(views, "new", "v") == {"i": 99}


def test_each_shape_is_encoded_once_and_joined_as_a_list() -> None:
    views = ClipViews()
    a = views.put("a", "v1", {"id": "a", "title": "Été ☃", "n": 1})
    b = views.put("b", "v1", {"id": "b", "title": "Two", "n": 2})
    calls = []

    def short(clip: dict) -> dict:
        calls.append(clip["id"])
        return {"id": clip["id"]}

    assert json_list([a, b], short) == b'[{"id":"a"},{"id":"b"}]'
    assert json_list([b, a], short) == b'[{"id":"b"},{"id":"a"}]'
    assert calls == ["a", "b"]  # the second list reused both encodings
    assert json.loads(json_list([a], canonical)) == [a.clip]
    assert a.json(canonical) == to_json(a.clip) == '{"id":"a","title":"Été ☃","n":1}'.encode()
    assert json_list([], short) == b"[]"
    # A new version is a new view: nothing encoded for the old one leaks into it.
    a2 = views.put("a", "v2", {"id": "a", "title": "Changed", "n": 1})
    assert json.loads(a2.json(canonical))["title"] == "Changed"
