"""gunicorn's configuration keeps Prometheus's multiprocess folder right: empty at each start."""

from __future__ import annotations

import importlib

from config import gunicorn_conf


def test_the_server_starts_with_an_empty_metrics_folder(tmp_path, monkeypatch):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    (folder / "histogram_4242.db").write_bytes(b"counts of an earlier run")
    (folder / "keep-me.txt").write_text("not ours")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))

    importlib.reload(gunicorn_conf).on_starting(server=None)

    assert sorted(path.name for path in folder.iterdir()) == ["keep-me.txt"]


def test_without_the_setting_nothing_is_touched(tmp_path, monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    gunicorn_conf.on_starting(server=None)
    gunicorn_conf.child_exit(server=None, worker=None)
