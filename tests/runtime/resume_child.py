"""Child process for the SIGKILL test: runs the label task against a server until killed.
usage: python resume_child.py TEMPLATE_DIR BASE_URL CACHE_DIR N"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recloom.agents.runtime import Runner, RuntimeConfig  # noqa: E402
from runtime.support import inputs, label_task  # noqa: E402

if __name__ == "__main__":
    template_dir, base_url, cache_dir, n = sys.argv[1:5]
    config = RuntimeConfig(
        backend="openai", model="fake", base_url=base_url, cache_dir=cache_dir, progress=False, concurrency=4
    )
    Runner(config).run(label_task(Path(template_dir)), inputs(int(n)))
