-- The transparency map counts publicly listed complaints of a period per kelurahan, cell and
-- status; anyone can ask. Only listed complaints, with what the count needs, so the count is
-- an index-only scan of that part of the table (benchmarks/status/overview.py).
CREATE INDEX complaints_public_listed_idx ON complaints (submitted_at) INCLUDE (kelurahan, status, lat, lon)
    WHERE privacy = 'publik' AND publicly_visible;
