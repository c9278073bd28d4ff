"""A transformer that never finishes by itself (for timeouts and cancels); its child sleeps too."""

import subprocess
import sys
import time


def main() -> None:
    """Start a sleeping child and sleep."""
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    print("started", flush=True)
    time.sleep(600)
