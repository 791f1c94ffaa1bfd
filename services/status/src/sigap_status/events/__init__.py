"""What status does with the events it consumes from Kafka: submissions and routings (a
complaint is received once both are known), hand-ons between departments, supporting
departments and the reporter's follow-ups."""
