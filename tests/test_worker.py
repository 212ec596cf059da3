"""The worker's report time-stamping: ``EBR_TSA_URL`` becomes an HTTP time-stamper, unset none."""

from __future__ import annotations

import pytest
from pyhanko.sign.timestamps import HTTPTimeStamper

from ebr.settings import Settings
from ebr.worker import _timestamper


def test_the_tsa_url_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EBR_TSA_URL", raising=False)
    assert Settings().tsa_url is None
    monkeypatch.setenv("EBR_TSA_URL", "http://tsa.example.test/tsr")
    assert Settings().tsa_url == "http://tsa.example.test/tsr"


def test_a_tsa_url_makes_an_http_time_stamper_and_none_makes_none() -> None:
    stamper = _timestamper("http://tsa.example.test/tsr")  # nothing is contacted yet
    assert isinstance(stamper, HTTPTimeStamper) and stamper.url == "http://tsa.example.test/tsr"
    assert _timestamper(None) is None and _timestamper("") is None
