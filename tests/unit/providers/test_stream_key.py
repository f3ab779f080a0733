"""Provider keys for playlist entries: stable across token/credential changes, distinct otherwise."""

from __future__ import annotations

import re

from strmline.providers.base import m3u_stream_key


def key(
    name="BBC One", tvg_id="bbc1.uk", group="UK", url="http://h/live/bob/pw/101.ts", occurrence=0
):
    return m3u_stream_key(name, tvg_id, group, url, occurrence)


def test_short_hex():
    assert re.fullmatch(r"[0-9a-f]{16}", key())


def test_deterministic():
    assert key() == key()


def test_stable_across_xtream_credentials_and_host():
    assert key(url="http://h/live/bob/pw/101.ts") == key(
        url="http://other:8080/live/alice/new-pass/101.ts"
    )


def test_stable_across_query_token():
    a = key(url="http://cdn.example.com/ch/bbc1.m3u8?token=abc&expires=1")
    b = key(url="http://cdn.example.com/ch/bbc1.m3u8?token=xyz&expires=2")
    assert a == b


def test_stable_across_path_token():
    a = key(url="http://cdn.example.com/a1b2c3d4e5f6a7b8c9d0/bbc1/index.m3u8")
    b = key(url="http://cdn.example.com/ffeeddccbbaa99887766/bbc1/index.m3u8")
    assert a == b


def test_stable_across_short_form_credentials():
    assert key(url="http://h:8080/bob/pw/101") == key(url="http://h:8080/alice/pw2/101")


def test_distinct_for_different_channels():
    keys = {
        key(),
        key(name="BBC Two"),
        key(tvg_id="bbc2.uk"),
        key(group="News"),
        key(url="http://h/live/bob/pw/102.ts"),
        key(url="http://h/movie/bob/pw/101.ts"),
        key(tvg_id=None),
    }
    assert len(keys) == 7


def test_generic_file_name_keeps_the_folder():
    a = key(name="X", tvg_id=None, url="http://cdn/channel1/index.m3u8")
    b = key(name="X", tvg_id=None, url="http://cdn/channel2/index.m3u8")
    assert a != b


def test_generic_url_keeps_host():
    a = key(name="X", tvg_id=None, url="http://one.example.com/streams/x.m3u8")
    b = key(name="X", tvg_id=None, url="http://two.example.com/streams/x.m3u8")
    assert a != b


def test_occurrence_disambiguates_identical_entries():
    assert len({key(occurrence=n) for n in range(3)}) == 3


def test_name_whitespace_does_not_matter():
    assert key(name=" BBC One ") == key(name="BBC One")
