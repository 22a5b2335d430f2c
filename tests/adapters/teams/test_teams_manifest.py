"""The Teams app manifest and icons in teams-app/: what Teams checks when the app is uploaded."""

from __future__ import annotations

import json
import re
import struct
import zlib
from pathlib import Path
from typing import Any

from nudgebot.adapters.teams.convert import COMMANDS

APP = Path(__file__).resolve().parents[3] / "teams-app"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((APP / "manifest.json").read_text(encoding="utf-8"))
    return data


def pixels(path: Path) -> tuple[int, int, list[tuple[int, int, int, int]]]:
    """Decode a non-interlaced, unfiltered 8-bit RGBA PNG (as our icons are)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) == (8, 6)
        elif kind == b"IDAT":
            idat += body
    raw, stride = zlib.decompress(idat), width * 4 + 1
    out: list[tuple[int, int, int, int]] = []
    for y in range(height):
        row = raw[y * stride : (y + 1) * stride]
        assert row[0] == 0, "only unfiltered rows are expected"
        out += [(row[x], row[x + 1], row[x + 2], row[x + 3]) for x in range(1, stride, 4)]
    return width, height, out


def test_the_manifest_is_a_valid_bot_app() -> None:
    data = manifest()
    assert data["manifestVersion"] == "1.19"
    assert data["$schema"].endswith("/v1.19/MicrosoftTeams.schema.json")
    assert GUID.match(data["id"])
    assert re.match(r"^\d+\.\d+\.\d+$", data["version"])
    assert len(data["name"]["short"]) <= 30 and len(data["name"]["full"]) <= 100
    assert len(data["description"]["short"]) <= 80 and len(data["description"]["full"]) <= 4000
    assert all(
        url.startswith("https://") for key, url in data["developer"].items() if key != "name"
    )
    assert re.match(r"^#[0-9A-Fa-f]{6}$", data["accentColor"])
    [bot] = data["bots"]
    assert bot["botId"] == "${{TEAMS_CLIENT_ID}}"  # filled in when the app is packaged
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}


def test_the_manifest_lists_the_commands_the_bot_understands() -> None:
    [bot] = manifest()["bots"]
    for command_list in bot["commandLists"]:
        commands = command_list["commands"]
        assert [c["title"] for c in commands] == list(COMMANDS)
        assert all(len(c["title"]) <= 32 and len(c["description"]) <= 128 for c in commands)
        tips = next(c for c in commands if c["title"] == "tips")
        assert "daily" in tips["description"] and "tips now" in tips["description"]


def test_the_icons_are_the_sizes_teams_wants() -> None:
    data = manifest()
    width, height, colour = pixels(APP / data["icons"]["color"])
    assert (width, height) == (192, 192)
    assert all(alpha == 255 for *_, alpha in colour)  # full colour, no transparency
    width, height, outline = pixels(APP / data["icons"]["outline"])
    assert (width, height) == (32, 32)
    # White on transparent only.
    assert all(alpha == 0 or (r, g, b) == (255, 255, 255) for r, g, b, alpha in outline)
    assert any(alpha > 0 for *_, alpha in outline) and any(alpha == 0 for *_, alpha in outline)
