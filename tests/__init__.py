
import os
import tempfile
from pathlib import Path

# the weights caches of this test session: empty, whatever the machine's own hold (the automatic plan starts
# pretrained when they hold the plan encoder's weights: a developer's cache must not change what a test sees);
# set here, before conftest.py imports anything that could import huggingface_hub (it reads them once)
_CACHES = Path(tempfile.mkdtemp(prefix="unetkit-test-caches-"))
os.environ["HF_HOME"] = str(_CACHES / "huggingface")
os.environ["HF_HUB_CACHE"] = str(_CACHES / "huggingface" / "hub")
os.environ["TORCH_HOME"] = str(_CACHES / "torch")
