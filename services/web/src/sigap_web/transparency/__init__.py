"""The public transparency page (`/transparansi`) and the staff statistics page (`/statistik`)."""
