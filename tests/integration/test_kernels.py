"""Warm kernels on Unix sockets: two started at once cannot collide on a port, and one that does not come up leaves
no process behind (an orphan kernel holds the build's output pipes open, so whoever waits on the build hangs)."""

from __future__ import annotations

import os
import threading

import pytest
from jupyter_client.manager import KernelManager

from sots.site import kernels

pytestmark = pytest.mark.integration


def test_kernels_started_at_once_talk_over_their_own_unix_sockets(tmp_path):
    made, errors = [], []

    def start():
        try:
            made.append(kernels.warm(str(tmp_path)))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == [] and len(made) == 3
        folders = {os.path.dirname(km.ip) for km, _ in made}
        assert len(folders) == 3 and all(km.transport == "ipc" for km, _ in made)
        for km, kc in made:
            assert kc.execute_interactive("import os; os.getcwd()", timeout=30)["content"]["status"] == "ok"
    finally:
        for kernel in made:
            kernels.stop(kernel)
    assert not any(os.path.exists(f) for f in folders)  # each kernel's sockets go with it


def test_a_kernel_that_does_not_come_up_is_shut_down(tmp_path, monkeypatch):
    managers = []

    class NeverReady(KernelManager):
        """A kernel that starts, and whose client gives up waiting for it, as when it cannot bind its sockets."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            managers.append(self)

        def client(self, **kwargs):
            client = super().client(**kwargs)

            def give_up(timeout=None):
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")

            client.wait_for_ready = give_up
            return client

    monkeypatch.setattr(kernels, "KernelManager", NeverReady)
    with pytest.raises(RuntimeError, match="respond"):
        kernels.start(str(tmp_path))
    (km,) = managers
    assert not km.has_kernel and not os.path.exists(os.path.dirname(km.ip))
