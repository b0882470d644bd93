"""The sample pipeline's extractive answerer, shared per module."""

import pytest


@pytest.fixture(scope="module")
def extractive(sample):
    return sample.answerer("extractive")
