"""Whether the infra tests can run here: aws_cdk comes with the infra dependency group (`make test`)."""

from __future__ import annotations

import os

import pytest

from .conftest import cdk_import_error

pytestmark = pytest.mark.infra


def test_aws_cdk_is_importable() -> None:
    error = cdk_import_error()
    if error is not None and os.environ.get("CI") != "true":
        pytest.skip(f"aws_cdk is not importable ({error}): run `make test`, which installs the infra group")
    assert error is None, f"CI must run the infra tests: {error}"
