"""Xtream payload normalisation: every quirk real panels send."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from strmline.formats.xtream import (
    Category,
    as_dict,
    as_list,
    live_url,
    movie_url,
    normalize_server,
    parse_account,
    parse_categories,
    parse_live_streams,
    series_url,
    to_bool,
    to_datetime,
    to_int,
    xmltv_url,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (123, 123),
        ("123", 123),
        (" 42 ", 42),
        ("12.0", 12),
        (7.9, 7),
        (True, 1),
        ("", None),
        (None, None),
        ("abc", None),
        ([], None),
        ({}, None),
        (float("nan"), None),
        ("inf", None),
    ],
)
def test_to_int(value, expected):
    assert to_int(value) == expected


def test_to_int_default():
    assert to_int("", 5) == 5
    assert to_int(None, 0) == 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        ("1", True),
        ("0", False),
        ("true", True),
        ("True", True),
        ("false", False),
        ("yes", True),
        ("", False),
        (None, False),
        ([], False),
        ("garbage", False),
    ],
)
def test_to_bool(value, expected):
    assert to_bool(value) is expected


def test_to_datetime_unix_seconds_in_every_shape():
    expected = datetime(2024, 1, 1, tzinfo=UTC)
    assert to_datetime(1704067200) == expected
    assert to_datetime("1704067200") == expected
    assert to_datetime(" 1704067200 ") == expected
    assert to_datetime(1704067200.0) == expected
    assert to_datetime("1704067200000") == expected  # milliseconds


@pytest.mark.parametrize("value", ["", None, "0", 0, "null", "unlimited", [], {}, True, -5])
def test_to_datetime_never(value):
    assert to_datetime(value) is None


def test_to_datetime_date_text_is_utc_aware():
    parsed = to_datetime("2024-03-05 10:20:30")
    assert parsed == datetime(2024, 3, 5, 10, 20, 30, tzinfo=UTC)
    assert parsed is not None and parsed.tzinfo is not None
    assert to_datetime("2024-03-05T10:20:30+02:00") == datetime(2024, 3, 5, 8, 20, 30, tzinfo=UTC)


def test_to_datetime_out_of_range_is_none():
    assert to_datetime("99999999999999999999") is None


def test_as_dict_and_as_list():
    assert as_dict([]) == {}
    assert as_dict(None) == {}
    assert as_dict({"a": 1}) == {"a": 1}
    assert as_list(None) == []
    assert as_list("x") == []
    assert as_list([1, 2]) == [1, 2]
    assert as_list({"0": "a", "1": "b"}) == ["a", "b"]


ACCOUNT = {
    "user_info": {
        "username": "bob",
        "password": "s3cret",
        "message": "Welcome",
        "auth": 1,
        "status": "Active",
        "exp_date": "1893456000",
        "is_trial": "0",
        "active_cons": "1",
        "created_at": "1600000000",
        "max_connections": "2",
        "allowed_output_formats": ["m3u8", "ts", "rtmp"],
    },
    "server_info": {
        "url": "panel.example.com",
        "port": "8080",
        "https_port": "8443",
        "server_protocol": "http",
        "rtmp_port": "8880",
        "timezone": "Europe/London",
        "timestamp_now": 1700000000,
        "time_now": "2023-11-14 22:13:20",
    },
}


def test_parse_account_typical():
    account, server = parse_account(ACCOUNT)
    assert account.auth is True
    assert account.status == "Active"
    assert account.expires_at == datetime(2030, 1, 1, tzinfo=UTC)
    assert account.max_connections == 2
    assert account.active_connections == 1
    assert account.allowed_formats == ("m3u8", "ts", "rtmp")
    assert account.is_trial is False
    assert account.created_at == datetime.fromtimestamp(1600000000, tz=UTC)
    assert account.message == "Welcome"
    assert server is not None
    assert server.url == "panel.example.com"
    assert server.port == 8080
    assert server.https_port == 8443
    assert server.protocol == "http"
    assert server.timezone == "Europe/London"
    assert server.base_url == "http://panel.example.com:8080"


def test_parse_account_never_holds_the_password():
    account, server = parse_account(ACCOUNT)
    assert "s3cret" not in repr(account)
    assert "s3cret" not in repr(server)


def test_parse_account_quirks():
    account, server = parse_account(
        {
            "user_info": {
                "auth": "1",
                "status": "Active",
                "exp_date": None,  # unlimited
                "is_trial": True,
                "active_cons": "",
                "max_connections": None,
                "allowed_output_formats": "ts,m3u8",
                "created_at": "",
                "message": "",
            },
            "server_info": [],  # PHP's empty array instead of an object
        }
    )
    assert account.auth is True
    assert account.expires_at is None
    assert account.is_trial is True
    assert account.active_connections is None
    assert account.max_connections is None
    assert account.allowed_formats == ("ts", "m3u8")
    assert account.created_at is None
    assert account.message is None
    assert server is None


@pytest.mark.parametrize(
    "payload", [[], {}, None, "nope", {"user_info": []}, {"user_info": {"auth": 0}}]
)
def test_parse_account_failed_login(payload):
    account, server = parse_account(payload)
    assert account.auth is False
    assert server is None


def test_parse_account_auth_as_boolean_and_missing_fields():
    account, _ = parse_account({"user_info": {"auth": True}})
    assert account.auth is True
    assert account.status == ""
    assert account.allowed_formats == ()


def test_parse_categories_quirks():
    cats = parse_categories(
        [
            {"category_id": "1", "category_name": "News", "parent_id": 0},
            {"category_id": 2, "category_name": "Sports", "parent_id": "1"},
            {"category_id": None, "category_name": "Broken"},
            {"category_name": "No id"},
            "junk",
            {"category_id": "3", "category_name": ""},
            {"category_id": 4.0, "category_name": " Movies ", "parent_id": None},
        ]
    )
    assert cats == [
        Category(id="1", name="News", parent_id=None),
        Category(id="2", name="Sports", parent_id="1"),
        Category(id="3", name="3", parent_id=None),
        Category(id="4", name="Movies", parent_id=None),
    ]


@pytest.mark.parametrize("payload", [None, {}, [], "error", {"user_info": {"auth": 0}}])
def test_parse_categories_junk_is_empty(payload):
    assert parse_categories(payload) == []


def _stream(**overrides):
    row = {
        "num": 1,
        "name": "BBC One HD",
        "stream_type": "live",
        "stream_id": 101,
        "stream_icon": "http://logo/bbc1.png",
        "epg_channel_id": "bbc1.uk",
        "added": "1600000000",
        "category_id": "1",
        "custom_sid": "",
        "tv_archive": 0,
        "direct_source": "",
        "tv_archive_duration": 0,
    }
    row.update(overrides)
    return row


def test_parse_live_streams_typical():
    (stream,) = parse_live_streams([_stream()])
    assert stream.stream_id == 101
    assert stream.num == 1
    assert stream.name == "BBC One HD"
    assert stream.category_id == "1"
    assert stream.icon == "http://logo/bbc1.png"
    assert stream.epg_channel_id == "bbc1.uk"
    assert stream.added == datetime.fromtimestamp(1600000000, tz=UTC)
    assert stream.tv_archive is False
    assert stream.tv_archive_duration == 0
    assert stream.custom_sid is None
    assert stream.direct_source is None


def test_parse_live_streams_string_numbers_and_nulls():
    (stream,) = parse_live_streams(
        [
            _stream(
                stream_id="202",
                num="7",
                category_id=None,
                stream_icon="",
                epg_channel_id=None,
                added="",
                tv_archive="1",
                tv_archive_duration="3",
                custom_sid=":0:1:2",
                direct_source="http://origin/x.m3u8",
            )
        ]
    )
    assert stream.stream_id == 202
    assert stream.num == 7
    assert stream.category_id is None
    assert stream.icon is None
    assert stream.epg_channel_id is None
    assert stream.added is None
    assert stream.tv_archive is True
    assert stream.tv_archive_duration == 3
    assert stream.custom_sid == ":0:1:2"
    assert stream.direct_source == "http://origin/x.m3u8"


def test_parse_live_streams_integer_category_and_category_ids():
    a, b = parse_live_streams(
        [_stream(category_id=5), _stream(stream_id=2, category_id=None, category_ids=[9, 10])]
    )
    assert a.category_id == "5"
    assert b.category_id == "9"


def test_parse_live_streams_skips_bad_rows_without_raising():
    skipped = []
    rows = [
        _stream(stream_id=1),
        _stream(stream_id=None),
        _stream(stream_id="abc"),
        _stream(stream_id=3, name=""),
        _stream(stream_id=4, name=None),
        "junk",
        None,
        [],
        _stream(stream_id=5, num="x", added="not a date", tv_archive_duration=[]),
    ]
    streams = list(parse_live_streams(rows, on_skip=lambda row, reason: skipped.append(reason)))
    assert [s.stream_id for s in streams] == [1, 5]
    assert streams[1].num is None
    assert streams[1].added is None
    assert streams[1].tv_archive_duration is None
    assert len(skipped) == 7


def test_parse_live_streams_object_instead_of_list():
    streams = list(parse_live_streams({"0": _stream(stream_id=1), "1": _stream(stream_id=2)}))
    assert [s.stream_id for s in streams] == [1, 2]


@pytest.mark.parametrize("payload", [None, {}, [], "error"])
def test_parse_live_streams_junk_is_empty(payload):
    assert list(parse_live_streams(payload)) == []


def test_parse_live_streams_is_lazy():
    gen = parse_live_streams([_stream()])
    assert next(gen).stream_id == 101


def test_stream_urls():
    server = "http://panel.example.com:8080/"
    assert (
        live_url(server, "bob", "pw", 101, "ts")
        == "http://panel.example.com:8080/live/bob/pw/101.ts"
    )
    assert (
        live_url(server, "bob", "pw", 101, ".m3u8")
        == "http://panel.example.com:8080/live/bob/pw/101.m3u8"
    )
    assert (
        movie_url(server, "bob", "pw", 7, "mkv")
        == "http://panel.example.com:8080/movie/bob/pw/7.mkv"
    )
    assert (
        series_url(server, "bob", "pw", 9, "mp4")
        == "http://panel.example.com:8080/series/bob/pw/9.mp4"
    )


def test_stream_urls_quote_credentials():
    url = live_url("http://h", "b ob", "p/w?#&", 1, "ts")
    assert url == "http://h/live/b%20ob/p%2Fw%3F%23%26/1.ts"


def test_xmltv_url():
    assert (
        xmltv_url("http://h:80/", "bob", "p&w")
        == "http://h:80/xmltv.php?username=bob&password=p%26w"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("panel.example.com:8080", "http://panel.example.com:8080"),
        ("http://panel.example.com:8080/", "http://panel.example.com:8080"),
        ("HTTPS://panel.example.com", "https://panel.example.com"),
        (
            "http://panel.example.com/player_api.php?username=a&password=b",
            "http://panel.example.com",
        ),
        ("http://panel.example.com/sub/get.php", "http://panel.example.com/sub"),
        (" http://panel.example.com/sub/ ", "http://panel.example.com/sub"),
    ],
)
def test_normalize_server(raw, expected):
    assert normalize_server(raw) == expected
