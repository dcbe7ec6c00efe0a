"""Privacy and safety: private accounts and follow requests, blocks, mutes, reports, and the
one policy that every read and write path asks who may see or reach whom."""
