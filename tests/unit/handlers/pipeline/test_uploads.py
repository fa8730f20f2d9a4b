"""Uploads and removals parsed from S3 event notifications, ordered so later events sort later."""

from __future__ import annotations

import json

import pytest

from handlers.pipeline.uploads import NotAnUploadKey, placement_of, removals_in, uploads_in


def notification(*records: tuple[str, str, str]) -> str:
    """An S3 event notification body: (event name, URL-encoded key, event time) per record."""
    return json.dumps(
        {
            "Records": [
                {
                    "eventName": name,
                    "eventTime": time,
                    "s3": {
                        "bucket": {"name": "images"},
                        "object": {"key": key, "size": 10, "eTag": "abc", "sequencer": "0A"},
                    },
                }
                for name, key, time in records
            ]
        }
    )


def test_created_and_removed_objects_are_told_apart_and_keys_decoded():
    body = notification(
        ("ObjectCreated:Put", "uploads/ann/Sommer+Urlaub.jpg", "2026-11-22T10:00:00.000Z"),
        ("ObjectRemoved:Delete", "uploads/ann/old%2B1.jpg", "2026-11-22T10:00:01.000Z"),
    )
    (upload,) = uploads_in(body)
    (removal,) = removals_in(body)
    assert upload.key == "uploads/ann/Sommer Urlaub.jpg" and (upload.size, upload.etag) == (10, "abc")
    assert removal.key == "uploads/ann/old+1.jpg"


def test_a_removal_after_an_upload_of_the_same_key_sorts_after_it():
    created = uploads_in(notification(("ObjectCreated:Put", "uploads/ann/a.jpg", "2026-11-22T10:00:00.000Z")))[0]
    removed = removals_in(notification(("ObjectRemoved:Delete", "uploads/ann/a.jpg", "2026-11-22T10:00:00.001Z")))[0]
    assert created.order < removed.order and created.image_id == removed.image_id


def test_the_s3_test_event_announces_nothing():
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "images"}
    assert uploads_in(test_event) == [] and removals_in(test_event) == []


@pytest.mark.parametrize("name", [["ObjectRemoved:Delete"], ["ObjectCreated:Put"], 7, None])
def test_a_record_whose_event_name_is_not_text_announces_nothing(name):
    """A body filter policy matches a list of names as it matches one name (SNS arrays are
    transparent), so such a message reaches the stages; it is no S3 event and changes nothing."""
    body = notification((name, "uploads/ann/a.jpg", "2026-11-22T10:00:00.000Z"))
    assert uploads_in(body) == [] and removals_in(body) == []


@pytest.mark.parametrize("key", ["uploads/no-owner.jpg", "uploads//a.jpg", "uploads/ann/sub/a.jpg", "public/a.jpg"])
def test_a_key_outside_uploads_owner_file_is_named(key):
    with pytest.raises(NotAnUploadKey, match="uploads"):
        placement_of(key)
