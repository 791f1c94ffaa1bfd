"""The delivery log and the engine that works it off: the dispatcher (claims, sends through
the channels, retries with backoff, digests), the reads a batch shares, and the log's API
(a complaint's deliveries, webhook dead letters and their replay)."""
