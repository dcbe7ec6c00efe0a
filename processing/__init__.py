"""CPU-bound media processing. It runs in sandboxed child processes, kept warm between items
(pool.py) and ended after anything unusual, so that a hostile file can neither hang nor crash
a worker, nor poison the ImageMagick state another item will use."""
