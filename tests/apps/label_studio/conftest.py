"""A real Label Studio for the tests of this folder (server.py starts it); skipped, saying why, where it is not
installed (`make label-studio`, which `make test` runs)."""
from __future__ import annotations

import pytest

from .server import EXECUTABLE, LabelStudioServer, start_label_studio


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory) -> LabelStudioServer:
    if not EXECUTABLE.is_file():
        pytest.skip(f"no Label Studio at {EXECUTABLE}: `make label-studio` installs it (UNETKIT_LABEL_STUDIO names "
                    f"another)")
    try:
        server = start_label_studio(tmp_path_factory.mktemp("label_studio"))
    except RuntimeError as error:
        pytest.fail(str(error))
    print(f"\nLabel Studio started in {server.started_in:.0f} s")
    yield server
    server.stop()
