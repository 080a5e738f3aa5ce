from ansible_collections.virter.core.plugins.module_utils._diff import DifferenceTracker


def test_tracks_before_after_and_differences():
    tracker = DifferenceTracker()
    tracker.add("domain", "a", "b")
    tracker.add("autostart", True, True)
    assert tracker.changed
    assert tracker.differences == ["domain"]
    assert tracker.get_before_after() == {
        "before": {"domain": "a", "autostart": True},
        "after": {"domain": "b", "autostart": True},
    }


def test_missing_side_is_left_out():
    tracker = DifferenceTracker()
    tracker.add("state", "absent", "present")
    tracker.add_dicts({}, {"name": "n", "domain": None})
    assert tracker.get_before_after() == {
        "before": {"state": "absent"},
        "after": {"state": "present", "name": "n", "domain": None},
    }
    assert tracker.differences == ["state", "domain", "name"]


def test_no_change():
    tracker = DifferenceTracker()
    tracker.add_dicts({"a": 1}, {"a": 1})
    assert not tracker.changed
