"""What notify does with the complaint events it consumes: plans who hears about each event
(`planning`), which departments it concerns and what they may see (`audience`), records the
deliveries and the department-topic copies (`handlers`, `repository`), and keeps a Kafka topic
for every department it has seen (`department_topics`)."""
