"""wirewatch's shell: the Faust app, its agents, the CLI and the file/Kafka adapters around the core."""
