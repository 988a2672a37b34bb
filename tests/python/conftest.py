"""Session fixture: one discord-emulator subprocess for the whole suite."""

from __future__ import annotations

import os

import pytest

from emu import FAST_SCENARIO, Emulator, find_emulator_binary


@pytest.fixture(scope="session")
def emulator():
    problem = None
    try:
        binary = find_emulator_binary()
    except RuntimeError as e:
        problem = str(e)
    if problem:
        pytest.fail(problem, pytrace=False)
    if not binary.is_file() or not os.access(binary, os.X_OK):
        pytest.fail(
            f"discord-emulator binary not found at {binary}; build it first "
            "(`swift build --product discord-emulator`) or set DISCORD_EMULATOR_BIN",
            pytrace=False,
        )
    emu = None
    try:
        emu = Emulator(binary, scenario=FAST_SCENARIO,
                       ready_timeout=float(os.environ.get("EMULATOR_READY_TIMEOUT", "60")))
    except RuntimeError as e:
        problem = str(e)
    if emu is None:
        pytest.fail(problem, pytrace=False)
    try:
        yield emu
    finally:
        status = emu.stop()
        print(f"\ndiscord-emulator stopped with status {status}")
        emu.cleanup()


@pytest.fixture
def info(emulator):
    return emulator.info
