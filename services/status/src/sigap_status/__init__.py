"""Status: owns each complaint's lifecycle (diterima → terverifikasi → dalam_proses → selesai)."""
