"""Job queues behind the JobQueue port: in memory (tests, one process) and procrastinate on PostgreSQL."""
