#!/usr/bin/env bash
# What the Python client's tests need: PyTorch (the CPU build, from
# PyTorch's own index: a fraction of PyPI's CUDA wheel) and pytest. Only
# what is missing.
set -euo pipefail
python3 -c "import torch" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check torch --index-url https://download.pytorch.org/whl/cpu
python3 -c "import pytest" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check pytest
