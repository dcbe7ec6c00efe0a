"""CPU-bound media processing. It runs in a child process per item (see runner.py), so that
a hostile file can neither hang nor crash a worker, nor poison its ImageMagick state."""
