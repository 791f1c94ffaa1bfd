"""Overview figures for maps and charts: public counts per kelurahan, and the staff overview
(complaints per day, open complaints per kelurahan)."""
