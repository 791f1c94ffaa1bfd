"""What a department registers to hear about its complaints: where its admins and its field
officers receive email, and its systems' webhooks (signed CloudEvents)."""
