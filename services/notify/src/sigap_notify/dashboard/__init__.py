"""The staff dashboards' live stream: dashboard deliveries pushed in-process to each open
Server-Sent Events stream of a department, of a field officer, or city-wide."""
