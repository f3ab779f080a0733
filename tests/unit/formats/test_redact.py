"""formats.redact: provider URLs, messages holding URLs, and access log request lines."""

from __future__ import annotations

from strmline.formats.redact import redact_request_line, redact_text, redact_url

SECRET = "s3cr3t-pass"


def test_redact_url_masks_query_userinfo_and_xtream_paths():
    assert redact_url(f"http://h/get.php?username=bob&password={SECRET}") == (
        "http://h/get.php?username=bob&password=***"
    )
    assert redact_url(f"http://bob:{SECRET}@h/x.m3u") == "http://bob:***@h/x.m3u"
    assert redact_url(f"http://h/live/bob/{SECRET}/1.ts") == "http://h/live/bob/***/1.ts"
    # None and empty secrets (a provider without a password) are ignored.
    assert redact_url("http://h/x.m3u", [None, ""]) == "http://h/x.m3u"


def test_redact_text_masks_urls_and_known_secrets():
    text = f"fetch http://h/get.php?password={SECRET} failed; {SECRET} rejected"
    out = redact_text(text, [SECRET])
    assert SECRET not in out
    assert "password=***" in out


def test_redact_request_line_masks_tokens_and_hdhr_paths():
    line = "GET /output/m3u?token=abc&x=1 HTTP/1.1 /hdhr/tok123/lineup.json?access_token=z"
    out = redact_request_line(line)
    assert "token=***&x=1" in out
    assert "/hdhr/***/lineup.json" in out
    assert "access_token=***" in out
