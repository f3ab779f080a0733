"""Stream profiles: command parsing and checks, arguments built per stream (never through a
shell), the order in which a play mode is decided."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from strmline.config import PlaybackSettings, command_words
from strmline.playback.profiles import BUILTIN_COMMANDS, build_args, find, profiles
from strmline.services.playhints import effective_mode

URL = "http://cdn.example/live/u/p/1.ts?token=a b;rm -rf /&x='1'"


def test_ffmpeg_remux_arguments_are_one_per_word_with_the_values_in_place() -> None:
    args = build_args(
        BUILTIN_COMMANDS["ffmpeg-remux"],
        url=URL,
        user_agent='Player/1 (say "hi")',
        referer="http://site.example/",
    )
    assert args == [
        "ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error",
        "-user_agent", 'Player/1 (say "hi")',
        "-headers", "Referer: http://site.example/",
        "-i", URL,
        "-c", "copy", "-f", "mpegts", "pipe:1",
    ]  # fmt: skip


def test_an_empty_placeholder_drops_its_argument_and_option() -> None:
    args = build_args(BUILTIN_COMMANDS["ffmpeg-remux"], url=URL, user_agent="UA", referer=None)
    assert "-headers" not in args and not any(a.startswith("Referer") for a in args)
    assert args[args.index("-i") + 1] == URL and args[args.index("-user_agent") + 1] == "UA"
    args = build_args(BUILTIN_COMMANDS["streamlink"], url=URL, user_agent="UA", referer="")
    assert args == [
        "streamlink", "--stdout", "--loglevel", "error",
        "--http-header", "User-Agent=UA", URL, "best",
    ]  # fmt: skip
    # A placeholder that is not the whole word keeps the word when it has a value.
    assert build_args("cat x{referer}y {url}", url="u", user_agent="", referer="R") == [
        "cat",
        "xRy",
        "u",
    ]
    # A bare word argument (no option before it) goes alone.
    assert build_args("cat {referer} {url}", url="u", user_agent="", referer="") == ["cat", "u"]


def test_values_are_not_read_as_placeholders_again() -> None:
    args = build_args("cat {url} {referer}", url="http://h/{referer}", user_agent="", referer="R")
    assert args == ["cat", "http://h/{referer}", "R"]


def test_every_builtin_command_parses_and_reads_the_url() -> None:
    for name, command in BUILTIN_COMMANDS.items():
        words = command_words(command)
        assert "{url}" in words, name
    transcode = build_args(
        BUILTIN_COMMANDS["ffmpeg-transcode"], url="u", user_agent="a", referer=""
    )
    for needed in ("libx264", "veryfast", "aac", "-maxrate", "mpegts", "pipe:1"):
        assert needed in transcode


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("", "the command is empty"),
        ("   ", "the command is empty"),
        ("cat {url} {password}", "unknown placeholder {password}"),
        ("cat http://fixed", "must read the stream from {url}"),
        ("cat '{url}", "cannot split the command"),
        ("{url}", "the program (first word) cannot be a placeholder"),
    ],
)
def test_bad_commands_say_why(command: str, says: str) -> None:
    with pytest.raises(ValueError) as info:
        command_words(command)
    assert says in str(info.value)


def test_a_user_profile_needs_its_program_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValidationError) as info:
        PlaybackSettings(stream_profiles=[{"name": "x", "command": "no-such-prog-91 {url}"}])
    assert "'no-such-prog-91' is not an executable found on PATH" in str(info.value)
    # A program in a folder on PATH is found; the profile is listed after the built-in ones.
    program = tmp_path / "my-grabber"
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    opts = PlaybackSettings(
        stream_profiles=[{"name": "grab", "command": "my-grabber --in {url} --ua {user_agent}"}]
    )
    names = [p.name for p in profiles(opts)]
    assert names == ["proxy", "redirect", "ffmpeg-remux", "ffmpeg-transcode", "streamlink", "grab"]
    mine = find(opts, "grab")
    assert mine is not None and mine.kind == "command" and not mine.builtin and mine.available
    # Uninstalled later: still listed, no longer available (the hub skips it, records nothing).
    program.unlink()
    assert mine.available is False
    assert find(opts, "gone") is None and find(opts, None) is None


def test_builtin_availability_follows_path() -> None:
    opts = PlaybackSettings()
    by_name = {p.name: p for p in profiles(opts)}
    assert by_name["proxy"].available and by_name["redirect"].available
    assert by_name["streamlink"].available is (shutil.which("streamlink") is not None)
    assert by_name["ffmpeg-remux"].program == "ffmpeg"


def test_user_profiles_cannot_shadow_or_repeat() -> None:
    with pytest.raises(ValidationError, match="is a built-in profile"):
        PlaybackSettings(stream_profiles=[{"name": "proxy", "command": "cat {url}"}])
    with pytest.raises(ValidationError, match="two profiles are named 'a'"):
        PlaybackSettings(stream_profiles=[{"name": "a", "command": "cat {url}"}] * 2)


@pytest.mark.parametrize(
    ("setting", "override", "provider_mode", "profile", "credentials", "expected"),
    [
        ("redirect", None, None, None, False, "redirect"),
        ("redirect", None, None, None, True, "proxy"),  # auto hides credentials
        ("proxy", None, None, None, False, "proxy"),
        ("redirect", None, "proxy", None, False, "proxy"),
        ("proxy", None, "redirect", None, False, "redirect"),
        ("redirect", None, "redirect", None, True, "redirect"),  # chosen for this provider
        ("redirect", "redirect", None, None, True, "proxy"),  # a channel does not expose it
        ("redirect", "proxy", "redirect", None, False, "proxy"),  # the channel comes first
        ("redirect", None, None, "ffmpeg-remux", False, "proxy"),  # the proxy runs commands
        ("proxy", None, None, "redirect", False, "redirect"),
        ("proxy", None, None, "redirect", True, "proxy"),
        ("redirect", None, "redirect", "ffmpeg-remux", False, "redirect"),
    ],
)
def test_the_play_mode_is_decided_in_order(
    setting: str,
    override: str | None,
    provider_mode: str | None,
    profile: str | None,
    credentials: bool,
    expected: str,
) -> None:
    assert (
        effective_mode(
            setting,
            override,
            credentials=credentials,
            redirect_credentials=False,
            provider_mode=provider_mode,
            profile=profile,
        )
        == expected
    )
